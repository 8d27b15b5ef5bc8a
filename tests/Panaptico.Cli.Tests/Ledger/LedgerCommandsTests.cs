using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Panaptico.Cli.Ledger;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;
using Panaptico.Testing;

namespace Panaptico.Cli.Tests.Ledger;

public sealed class LedgerCommandsTests : IDisposable
{
    private const string Origin = "panaptico.test/ledger";
    private readonly string _dir = Directory.CreateTempSubdirectory("ledger-cli-").FullName;
    private readonly EcdsaCheckpointSigner _signer = EcdsaCheckpointSigner.Generate(Origin);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Verify_exits_0_for_an_intact_export_and_1_naming_the_record_after_a_byte_flip()
    {
        var path = await WriteExportAsync("q1.jsonl", 0, 30);

        var ok = await RunAsync("ledger", "verify", path, "--key", _signer.PublicKey.ToVerifierKey());
        FlipByte(path, "subject-12");
        var tampered = await RunAsync("ledger", "verify", path, "--key", _signer.PublicKey.ToVerifierKey());

        Assert.Equal(0, ok.Exit);
        Assert.Contains("OK", ok.Output);
        Assert.Equal(1, tampered.Exit);
        Assert.Contains("seq 12", tampered.Output);
        Assert.Contains("hash does not match", tampered.Output);
    }

    [Fact]
    public async Task Verify_fails_when_the_export_is_signed_by_a_key_other_than_the_pinned_one()
    {
        var path = await WriteExportAsync("q1.jsonl", 0, 5);
        var keyFile = Path.Combine(_dir, "log.vkey");
        File.WriteAllText(keyFile, EcdsaCheckpointSigner.Generate(Origin).PublicKey.ToVerifierKey());

        var result = await RunAsync("ledger", "verify", path, "--key", keyFile);

        Assert.Equal(1, result.Exit);
        Assert.Contains("no valid signature", result.Output);
    }

    [Fact]
    public async Task Consistency_exits_0_when_the_older_export_is_a_prefix_and_1_when_it_was_rewritten()
    {
        var older = await WriteExportAsync("q1.jsonl", 0, 20);
        var newer = await WriteExportAsync("q2.jsonl", 0, 45);
        var forged = await WriteExportAsync("forged.jsonl", 0, 20, actor: "user:mallory");

        var ok = await RunAsync("ledger", "consistency", older, newer);
        var bad = await RunAsync("ledger", "consistency", forged, newer);

        Assert.Equal(0, ok.Exit);
        Assert.Contains("size 20", ok.Output);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("does not extend", bad.Output);
    }

    [Fact]
    public async Task Prove_writes_an_inclusion_proof_that_verifies_offline()
    {
        var path = await WriteExportAsync("all.jsonl", 0, 33);
        var proofPath = Path.Combine(_dir, "proof.json");

        var result = await RunAsync("ledger", "prove", path, "--seq", "21", "--out", proofPath);
        var proof = JsonSerializer.Deserialize<LedgerInclusionProof>(File.ReadAllText(proofPath))!;
        var missing = await RunAsync("ledger", "prove", path, "--seq", "40");

        Assert.Equal(0, result.Exit);
        Assert.Null(proof.Verify(_signer.PublicKey));
        Assert.Equal(21, proof.ReadRecord().Seq);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("seq 40", missing.Output);
    }

    [Fact]
    public async Task Export_writes_a_time_range_from_table_storage_that_verify_accepts()
    {
        var connection = await TestStorage.ConnectionStringAsync();
        var tableName = TestStorage.UniqueName("ledgercli");
        var table = new TableClient(connection, tableName);
        await table.CreateIfNotExistsAsync();
        await using (var ledger = new TableLedger(table, TimeProvider.System))
        {
            await Task.WhenAll(Enumerable.Range(0, 25).Select(i =>
                ledger.AppendAsync(new LedgerEntry("governance", "task.approved", $"T-{i}", "user:ana", new JsonObject { ["i"] = i }), default)));
        }

        var keyPath = Path.Combine(_dir, "signing.pem");
        File.WriteAllText(keyPath, _signer.ExportPrivateKeyPem());
        var csv = Path.Combine(_dir, "export.csv");

        var export = await RunAsync("ledger", "export", "--from", "2000-01-01T00:00:00Z", "--format", "csv", "--out", csv,
            "--connection", connection, "--table", tableName, "--signing-key", keyPath, "--origin", Origin);
        var verify = await RunAsync("ledger", "verify", csv, "--key", _signer.PublicKey.ToVerifierKey());

        Assert.Equal(0, export.Exit);
        Assert.Contains("seq 0..24", export.Output);
        Assert.Equal(0, verify.Exit);
        Assert.Contains("25 records", verify.Output);
    }

    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var root = new RootCommand("test") { LedgerCommands.Create() };
        var output = new StringWriter();
        var exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        return (exit, output.ToString());
    }

    private async Task<string> WriteExportAsync(string name, int first, int count, string actor = "user:ana")
    {
        var lines = new List<string>();
        string? prev = null;
        for (var seq = first; seq < first + count; seq++)
        {
            var record = LedgerRecordFormat.Seal(seq, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(seq),
                new LedgerEntry("governance", "task.approved", $"subject-{seq}", actor, null), prev);
            prev = record.Hash;
            lines.Add(System.Text.Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(record)));
        }

        var path = Path.Combine(_dir, name);
        await LedgerExportFiles.WriteAsync(path, LedgerExportFormat.Jsonl, new MerkleFrontier(), null, Stream(lines),
            _signer, _signer.PublicKey, Origin, (null, null), default);
        return path;
    }

    private static async IAsyncEnumerable<string> Stream(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            await Task.Yield();
            yield return line;
        }
    }

    private static void FlipByte(string path, string marker)
    {
        var bytes = File.ReadAllBytes(path);
        var at = System.Text.Encoding.UTF8.GetString(bytes).IndexOf(marker, StringComparison.Ordinal);
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}
