using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Ledger;

namespace Panaptico.Functions.Audit;

/// <summary>
/// The ledger for auditors: the latest signed checkpoint (C2SP signed note), the key that signs checkpoints,
/// inclusion proofs for one record, consistency proofs between two tree sizes, and exports of a time range.
/// </summary>
/// <remarks>
/// An export answers <c>application/zip</c> holding exactly the files <c>panaptico ledger export</c> writes and
/// <c>panaptico ledger verify</c> reads: <c>ledger.jsonl</c> (or <c>ledger.csv</c>), <c>ledger.jsonl.checkpoint</c>
/// (the signed tree head) and <c>ledger.jsonl.meta.json</c> (range, prefix frontier, verifier key). So:
/// <c>unzip export.zip &amp;&amp; panaptico ledger verify ledger.jsonl --key "$(curl …/api/ledger/key)"</c>.
/// The export is written and zipped in a temporary directory first (flat memory, reusing the CLI's writer), then streamed.
/// </remarks>
public sealed class LedgerFunctions(LedgerProver prover, TableLedger ledger)
{
    public const string ExportBaseName = "ledger";
    public const string NoteContentType = "text/plain; charset=utf-8";

    [Function("GetLedgerCheckpoint")]
    public async Task<IResult> GetLedgerCheckpointAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ledger/checkpoint")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        var checkpoint = await prover.PublishAsync(cancellationToken);
        return Results.Text(checkpoint.Format(), NoteContentType);
    }

    [Function("GetLedgerKey")]
    public async Task<IResult> GetLedgerKeyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ledger/key")] HttpRequest request)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        return Results.Text(prover.Key.ToVerifierKey() + "\n", NoteContentType);
    }

    /// <summary>
    /// <c>GET /api/ledger/records/{seq}/proof[?size=N]</c>: against the tree head of size N when given (signed
    /// now), otherwise against the latest checkpoint, published for the purpose.
    /// </summary>
    [Function("ProveLedgerRecord")]
    public async Task<IResult> ProveLedgerRecordAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ledger/records/{seq}/proof")] HttpRequest request,
        string seq,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        var size = BundleFunctions.Query(request, "size");
        if (!Problems.TryReadCount(seq, out var recordSeq))
        {
            return Problems.Invalid($"seq '{seq}' is not a record number (a non-negative integer)");
        }

        if (size is not null && !Problems.TryReadCount(size, out _))
        {
            return Problems.Invalid($"size '{size}' is not a tree size (a non-negative integer)");
        }

        SignedCheckpoint checkpoint;
        if (size is null)
        {
            checkpoint = await prover.PublishAsync(cancellationToken);
        }
        else
        {
            var treeSize = long.Parse(size, CultureInfo.InvariantCulture);
            if (recordSeq >= treeSize)
            {
                return Problems.Invalid($"record seq {recordSeq} is not in a tree of size {treeSize}: size must be greater than seq");
            }

            var current = await prover.TreeSizeAsync(cancellationToken);
            if (treeSize > current)
            {
                return Problems.Invalid($"the ledger holds {current} records; size {treeSize} is ahead of it");
            }

            checkpoint = await prover.CheckpointAtAsync(treeSize, cancellationToken);
        }

        if (recordSeq >= checkpoint.Checkpoint.Size)
        {
            return Problems.NotFound($"the ledger has no record seq {recordSeq}: it holds {checkpoint.Checkpoint.Size} records");
        }

        try
        {
            return Results.Json(await prover.ProveInclusionAsync(recordSeq, checkpoint, cancellationToken));
        }
        catch (InvalidOperationException e)
        {
            return Problems.Inconsistent("Audit data inconsistent", e.Message);
        }
    }

    /// <summary>
    /// <c>GET /api/ledger/consistency?older=N[&amp;newer=M]</c>: the tree of N records is a prefix of the tree of M
    /// (default: the latest checkpoint). Answers the proof and both signed checkpoints.
    /// </summary>
    [Function("ProveLedgerConsistency")]
    public async Task<IResult> ProveLedgerConsistencyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ledger/consistency")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        var older = BundleFunctions.Query(request, "older");
        var newer = BundleFunctions.Query(request, "newer");
        if (!Problems.TryReadCount(older, out var olderSize))
        {
            return Problems.Invalid(older is null
                ? "name the earlier tree size: ?older=N (e.g. the size in last quarter's checkpoint)"
                : $"older '{older}' is not a tree size (a non-negative integer)");
        }

        long? newerSize = null;
        if (newer is not null)
        {
            if (!Problems.TryReadCount(newer, out var parsed))
            {
                return Problems.Invalid($"newer '{newer}' is not a tree size (a non-negative integer)");
            }

            newerSize = parsed;
        }

        if (olderSize > newerSize)
        {
            return Problems.Invalid($"older ({olderSize}) must not exceed newer ({newerSize})");
        }

        var current = await prover.TreeSizeAsync(cancellationToken);
        if ((newerSize ?? olderSize) > current)
        {
            return Problems.Invalid($"the ledger holds {current} records; size {newerSize ?? olderSize} is ahead of it");
        }

        var newCheckpoint = newerSize is { } n
            ? await prover.CheckpointAtAsync(n, cancellationToken)
            : await prover.PublishAsync(cancellationToken);
        try
        {
            var answer = await prover.ProveConsistencyAsync(olderSize, newCheckpoint, cancellationToken);
            var json = JsonSerializer.SerializeToNode(answer.Proof)!.AsObject();
            json["oldCheckpoint"] = answer.Older.Format();
            json["newCheckpoint"] = answer.Newer.Format();
            return Results.Json(json);
        }
        catch (InvalidOperationException e)
        {
            return Problems.Inconsistent("Audit data inconsistent", e.Message);
        }
    }

    /// <summary><c>GET /api/ledger/export[?from=&amp;to=&amp;format=jsonl|csv]</c>: records with from &lt;= at &lt; to.</summary>
    [Function("ExportLedger")]
    public async Task<IResult> ExportLedgerAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "ledger/export")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        var from = BundleFunctions.Query(request, "from");
        var to = BundleFunctions.Query(request, "to");
        var format = BundleFunctions.Query(request, "format");
        if (!TryReadTime(from, out var fromTime) || !TryReadTime(to, out var toTime))
        {
            return Problems.Invalid($"from and to are ISO 8601 times (UTC unless an offset is given), e.g. 2026-10-01T00:00:00Z; got from='{from}', to='{to}'");
        }

        if (fromTime >= toTime)
        {
            return Problems.Invalid($"from ({from}) must be before to ({to})");
        }

        LedgerExportFormat exportFormat;
        switch (format)
        {
            case null or "" or "jsonl":
                exportFormat = LedgerExportFormat.Jsonl;
                break;
            case "csv":
                exportFormat = LedgerExportFormat.Csv;
                break;
            default:
                return Problems.Invalid($"format must be 'jsonl' or 'csv', not '{format}'");
        }

        if (await ledger.FindSeqRangeAsync(fromTime, toTime, cancellationToken) is not { } range)
        {
            return Problems.NotFound("the ledger holds no record in that time range");
        }

        var directory = Directory.CreateTempSubdirectory("panaptico-ledger-export-").FullName;
        var path = Path.Combine(directory, $"{ExportBaseName}.{(exportFormat == LedgerExportFormat.Csv ? "csv" : "jsonl")}");
        var zip = directory + ".zip";
        LedgerExportMetadata metadata;
        try
        {
            metadata = await prover.ExportAsync(range.First, range.Last, exportFormat, path, (fromTime, toTime), cancellationToken);
            // Zipped on disk, not into the response: the zip writer finishes entries with synchronous writes.
            await ZipFile.CreateFromDirectoryAsync(directory, zip, CompressionLevel.Fastest, includeBaseDirectory: false, cancellationToken);
        }
        catch
        {
            File.Delete(zip);
            throw;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        var headers = request.HttpContext.Response.Headers;
        headers["Ledger-First-Seq"] = metadata.FirstSeq.ToString(CultureInfo.InvariantCulture);
        headers["Ledger-Last-Seq"] = metadata.LastSeq.ToString(CultureInfo.InvariantCulture);
        headers["Ledger-Tree-Size"] = metadata.TreeSize.ToString(CultureInfo.InvariantCulture);
        // The zip deletes itself once the response has streamed it.
        var stream = new FileStream(zip, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return Results.Stream(stream, "application/zip", $"ledger-{metadata.FirstSeq}-{metadata.LastSeq}.zip");
    }

    private static bool TryReadTime(string? value, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            time = parsed;
            return true;
        }

        return false;
    }
}
