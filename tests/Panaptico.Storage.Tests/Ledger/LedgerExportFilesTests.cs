using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Storage.Tests.Ledger;

public sealed class LedgerExportFilesTests : IDisposable
{
    private const string Origin = "panaptico.test/ledger";
    private readonly string _dir = Directory.CreateTempSubdirectory("ledger-export-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly EcdsaCheckpointSigner _signer = EcdsaCheckpointSigner.Generate(Origin);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(LedgerExportFormat.Jsonl)]
    [InlineData(LedgerExportFormat.Csv)]
    public async Task An_export_from_the_table_verifies_in_both_formats(LedgerExportFormat format)
    {
        var ledger = await FilledLedgerAsync(60);
        var path = Path.Combine(_dir, "q1." + format.ToString().ToLowerInvariant());

        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 59, format, path, _signer, _signer.PublicKey, Origin, (null, null), default);
        var result = await LedgerExportFiles.VerifyAsync(path, _signer.PublicKey, default);

        Assert.True(result.Ok, result.Failure?.ToString());
        Assert.Equal(60, result.Records);
        Assert.Equal((await ledger.ReadHeadAsync(default)).Tree.Root(), result.Root);
    }

    [Fact]
    public async Task A_flipped_byte_in_a_CSV_export_names_the_record()
    {
        var ledger = await FilledLedgerAsync(20);
        var path = Path.Combine(_dir, "q1.csv");
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 19, LedgerExportFormat.Csv, path, _signer, _signer.PublicKey, Origin, (null, null), default);
        var text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("subject-13", "subject-1X", StringComparison.Ordinal));

        var result = await LedgerExportFiles.VerifyAsync(path, _signer.PublicKey, default);

        Assert.Equal(13, result.Failure!.Seq);
        Assert.Contains("hash does not match", result.Failure.Reason);
    }

    [Fact]
    public async Task A_range_export_verifies_from_its_prefix_and_proves_consistency_with_the_previous_quarter()
    {
        var ledger = await FilledLedgerAsync(150);
        var q1 = Path.Combine(_dir, "q1.jsonl");
        var q2 = Path.Combine(_dir, "q2.jsonl");
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 69, LedgerExportFormat.Jsonl, q1, _signer, _signer.PublicKey, Origin, (null, null), default);
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 70, 149, LedgerExportFormat.Jsonl, q2, _signer, _signer.PublicKey, Origin, (null, null), default);

        var verified = await LedgerExportFiles.VerifyAsync(q2, _signer.PublicKey, default);
        var consistency = await LedgerExportFiles.ProveConsistencyAsync(q1, q2, _signer.PublicKey, default);

        Assert.True(verified.Ok, verified.Failure?.ToString());
        Assert.Equal(70, verified.FirstSeq);
        Assert.True(consistency.Ok, consistency.Failure);
        Assert.Equal(70, consistency.Proof!.OldSize);
        Assert.Equal(150, consistency.Proof.NewSize);
    }

    [Fact]
    public async Task Consistency_fails_when_the_older_export_is_not_a_prefix_of_the_newer()
    {
        var ledger = await FilledLedgerAsync(40);
        var other = await FilledLedgerAsync(40, actor: "user:other");
        var older = Path.Combine(_dir, "older.jsonl");
        var newer = Path.Combine(_dir, "newer.jsonl");
        await TableLedgerExport.ExportSeqRangeAsync(other, 0, 24, LedgerExportFormat.Jsonl, older, _signer, _signer.PublicKey, Origin, (null, null), default);
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 39, LedgerExportFormat.Jsonl, newer, _signer, _signer.PublicKey, Origin, (null, null), default);

        var consistency = await LedgerExportFiles.ProveConsistencyAsync(older, newer, _signer.PublicKey, default);

        Assert.False(consistency.Ok);
        Assert.Contains("does not extend the older one", consistency.Failure);
    }

    [Fact]
    public async Task An_inclusion_proof_from_an_export_verifies_offline_and_a_different_record_is_refused()
    {
        var ledger = await FilledLedgerAsync(45);
        var path = Path.Combine(_dir, "all.jsonl");
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 44, LedgerExportFormat.Jsonl, path, _signer, _signer.PublicKey, Origin, (null, null), default);
        LedgerRecord? sealRecord = null;
        await foreach (var r in ledger.ReadRangeAsync(17, 17, default))
        {
            sealRecord = r;
        }

        var check = await LedgerExportFiles.VerifyInclusionAsync(path, sealRecord!, _signer.PublicKey, default);
        var forged = await LedgerExportFiles.VerifyInclusionAsync(path, sealRecord! with { Actor = "user:mallory" }, _signer.PublicKey, default);

        Assert.True(check.Ok, check.Failure);
        Assert.Null(check.Proof!.Verify(_signer.PublicKey));
        Assert.Equal(45, check.Proof.TreeSize);
        Assert.False(forged.Ok);
        Assert.Contains("seq 17", forged.Failure);
    }

    [Fact]
    public async Task A_checkpoint_file_that_does_not_match_the_records_is_named()
    {
        var ledger = await FilledLedgerAsync(10);
        var path = Path.Combine(_dir, "x.jsonl");
        await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, 9, LedgerExportFormat.Jsonl, path, _signer, _signer.PublicKey, Origin, (null, null), default);
        var otherRoot = await SignedCheckpoint.SignAsync(new Checkpoint(Origin, 10, new byte[32]), _signer, default);
        File.WriteAllText(LedgerExportFiles.CheckpointPath(path), otherRoot.Format());

        var result = await LedgerExportFiles.VerifyAsync(path, _signer.PublicKey, default);

        Assert.StartsWith("checkpoint:", result.Failure!.Reason, StringComparison.Ordinal);
        Assert.Contains("root hash does not match", result.Failure.Reason);
    }

    private async Task<TableLedger> FilledLedgerAsync(int count, string actor = "user:ana")
    {
        var ledger = new TableLedger(await TableLedgerTests.NewTableAsync(), _time);
        for (var i = 0; i < count; i += 30)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(30, count - i)).Select(n =>
                ledger.AppendAsync(new LedgerEntry("governance", "task.approved", $"subject-{n}", actor, new JsonObject { ["n"] = n, ["note"] = "a,b \"c\"\nd" }), default)));
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        return ledger;
    }
}
