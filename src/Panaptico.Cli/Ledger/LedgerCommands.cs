using System.CommandLine;
using System.Text.Json;
using Azure.Data.Tables;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Cli.Ledger;

/// <summary>
/// `panaptico ledger …`: export the audit ledger with its signed tree head, and verify exports offline —
/// whole exports, inclusion of one record, consistency of two quarterly exports. Exit 0 only when all holds.
/// </summary>
public static class LedgerCommands
{
    public const string StorageVariable = "PANAPTICO_STORAGE";
    public const string SigningKeyVariable = "PANAPTICO_LEDGER_SIGNING_KEY";
    public const string DefaultOrigin = "panaptico.local/ledger";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static Command Create()
    {
        var ledger = new Command("ledger", "The audit ledger: export it, verify exports, prove inclusion and consistency");
        ledger.Subcommands.Add(VerifyCommand());
        ledger.Subcommands.Add(ExportCommand());
        ledger.Subcommands.Add(ConsistencyCommand());
        ledger.Subcommands.Add(ProveCommand());
        return ledger;
    }

    private static Option<string?> KeyOption() => new("--key")
    {
        Description = $"The log's verifier key: {VerifierKeyInput.Description}. Without it, the key named in the export's metadata is used.",
    };

    private static Command VerifyCommand()
    {
        var export = new Argument<FileInfo>("export") { Description = "The export (.jsonl or .csv); its .checkpoint and .meta.json sit beside it" };
        var key = KeyOption();
        var command = new Command("verify", "Verify every record, the hash chain and the Merkle tree head against the signed checkpoint") { export, key };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (!TryReadKey(parse.GetValue(key), output, out var pinned))
            {
                return 1;
            }

            var path = parse.GetValue(export)!.FullName;
            var result = await LedgerExportFiles.VerifyAsync(path, pinned, cancellationToken);
            if (!result.Ok)
            {
                await output.WriteLineAsync($"FAIL {path}: {result.Failure}");
                return 1;
            }

            await output.WriteLineAsync($"OK {path}: {result.Records} records (seq {result.FirstSeq}..{result.TreeSize - 1}), chain intact, " +
                $"tree size {result.TreeSize}, root {Convert.ToBase64String(result.Root)} matches the signed checkpoint");
            await NoteKeySourceAsync(output, pinned);
            return 0;
        });
        return command;
    }

    private static Command ExportCommand()
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "First time included (ISO 8601; UTC when no offset). Open when omitted." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "First time excluded (ISO 8601). Open when omitted." };
        var format = new Option<string>("--format") { Description = "jsonl or csv", DefaultValueFactory = _ => "jsonl" };
        format.AcceptOnlyFromAmong("jsonl", "csv");
        var output = new Option<FileInfo?>("--out") { Description = "Export file; .checkpoint and .meta.json are written beside it" };
        var connection = new Option<string?>("--connection") { Description = $"Storage connection string (default: env {StorageVariable})" };
        var table = new Option<string>("--table") { Description = "Ledger table name", DefaultValueFactory = _ => "ledger" };
        var signingKey = new Option<FileInfo?>("--signing-key")
        {
            Description = $"PEM (PKCS#8) ECDSA P-256 key that signs the checkpoint (default: env {SigningKeyVariable}, else the dev workspace key in .panaptico/)",
        };
        var origin = new Option<string>("--origin") { Description = "Log origin and key name in the checkpoint", DefaultValueFactory = _ => DefaultOrigin };
        var command = new Command("export", "Export a time range of the ledger as JSONL or CSV with a signed checkpoint")
        {
            from, to, format, output, connection, table, signingKey, origin,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var connectionString = parse.GetValue(connection) ?? Environment.GetEnvironmentVariable(StorageVariable);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                await console.WriteLineAsync($"FAIL: no storage connection (pass --connection or set {StorageVariable})");
                return 1;
            }

            var exportFormat = parse.GetValue(format) == "csv" ? LedgerExportFormat.Csv : LedgerExportFormat.Jsonl;
            var window = (From: parse.GetValue(from), To: parse.GetValue(to));
            var path = parse.GetValue(output)?.FullName ?? Path.GetFullPath(DefaultExportName(window.From, window.To, exportFormat));
            var signer = await LoadSignerAsync(parse.GetValue(signingKey), parse.GetValue(origin)!, console, cancellationToken);
            await using var tableLedger = new TableLedger(new TableClient(connectionString, parse.GetValue(table)), TimeProvider.System);
            var metadata = await TableLedgerExport.ExportTimeRangeAsync(tableLedger, window.From, window.To, exportFormat, path,
                signer, signer.PublicKey, signer.KeyName, cancellationToken);
            if (metadata is null)
            {
                await console.WriteLineAsync("FAIL: the ledger holds no record in that time range; nothing written");
                return 1;
            }

            await console.WriteLineAsync($"exported seq {metadata.FirstSeq}..{metadata.LastSeq} ({metadata.LastSeq - metadata.FirstSeq + 1} records) to {path}");
            await console.WriteLineAsync($"signed checkpoint (tree size {metadata.TreeSize}): {LedgerExportFiles.CheckpointPath(path)}");
            await console.WriteLineAsync($"verifier key: {metadata.VerifierKey}");
            return 0;
        });
        return command;
    }

    private static Command ConsistencyCommand()
    {
        var older = new Argument<FileInfo>("older-export") { Description = "The earlier export (e.g. last quarter's)" };
        var newer = new Argument<FileInfo>("newer-export") { Description = "The later export" };
        var key = KeyOption();
        var command = new Command("consistency", "Prove the older export's ledger is a prefix of the newer one's (RFC 9162 consistency proof)") { older, newer, key };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (!TryReadKey(parse.GetValue(key), output, out var pinned))
            {
                return 1;
            }

            var check = await LedgerExportFiles.ProveConsistencyAsync(parse.GetValue(older)!.FullName, parse.GetValue(newer)!.FullName, pinned, cancellationToken);
            if (!check.Ok)
            {
                await output.WriteLineAsync($"FAIL: {check.Failure}");
                return 1;
            }

            var proof = check.Proof!;
            await output.WriteLineAsync($"OK: the tree of size {proof.OldSize} (root {proof.OldRoot}) is a prefix of the tree of size {proof.NewSize} (root {proof.NewRoot})");
            await output.WriteLineAsync(JsonSerializer.Serialize(proof, s_json));
            await NoteKeySourceAsync(output, pinned);
            return 0;
        });
        return command;
    }

    private static Command ProveCommand()
    {
        var export = new Argument<FileInfo>("export") { Description = "The export holding the record" };
        var seq = new Option<long>("--seq") { Description = "The record's seq", Required = true };
        var output = new Option<FileInfo?>("--out") { Description = "Where to write the proof JSON (default: <export>.seq-<N>.proof.json)" };
        var key = KeyOption();
        var command = new Command("prove", "Make and check an inclusion proof for one record against the export's signed checkpoint") { export, seq, output, key };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var console = parse.InvocationConfiguration.Output;
            if (!TryReadKey(parse.GetValue(key), console, out var pinned))
            {
                return 1;
            }

            var path = parse.GetValue(export)!.FullName;
            var n = parse.GetValue(seq);
            var check = await LedgerExportFiles.ProveInclusionAsync(path, n, pinned, cancellationToken);
            if (!check.Ok)
            {
                await console.WriteLineAsync($"FAIL: {check.Failure}");
                return 1;
            }

            var proofPath = parse.GetValue(output)?.FullName ?? $"{path}.seq-{n}.proof.json";
            await File.WriteAllTextAsync(proofPath, JsonSerializer.Serialize(check.Proof, s_json) + "\n", cancellationToken);
            await console.WriteLineAsync($"OK: seq {n} is included in the tree of size {check.Proof!.TreeSize} ({check.Proof.Path.Count} proof hashes); proof written to {proofPath}");
            await NoteKeySourceAsync(console, pinned);
            return 0;
        });
        return command;
    }

    private static bool TryReadKey(string? value, TextWriter output, out CheckpointKey? key)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        try
        {
            key = VerifierKeyInput.Parse(value);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"FAIL: --key: {ex.Message}");
            return false;
        }
    }

    private static Task NoteKeySourceAsync(TextWriter output, CheckpointKey? pinned) => pinned is null
        ? output.WriteLineAsync("note: checked against the key named in the export's metadata; pass --key to pin the log's key")
        : output.WriteLineAsync($"checkpoint signed by pinned key {pinned.Name} ({pinned.KeyId:x8})");

    private static string DefaultExportName(DateTimeOffset? from, DateTimeOffset? to, LedgerExportFormat format) =>
        $"ledger-{from?.UtcDateTime.ToString("yyyyMMddTHHmmssZ") ?? "start"}-{to?.UtcDateTime.ToString("yyyyMMddTHHmmssZ") ?? "now"}." +
        (format == LedgerExportFormat.Csv ? "csv" : "jsonl");

    private static async Task<EcdsaCheckpointSigner> LoadSignerAsync(FileInfo? keyFile, string origin, TextWriter output, CancellationToken cancellationToken)
    {
        var path = keyFile?.FullName ?? Environment.GetEnvironmentVariable(SigningKeyVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            // Standalone mode: a workspace key, created once, so successive exports share one verifier key.
            path = Path.GetFullPath(Path.Combine(".panaptico", "ledger-signing-key.pem"));
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var generated = EcdsaCheckpointSigner.Generate(origin);
                await File.WriteAllTextAsync(path, generated.ExportPrivateKeyPem(), cancellationToken);
                await output.WriteLineAsync($"note: created a ledger signing key for this workspace at {path}");
                return generated;
            }
        }

        return EcdsaCheckpointSigner.FromPem(origin, await File.ReadAllTextAsync(path, cancellationToken));
    }
}
