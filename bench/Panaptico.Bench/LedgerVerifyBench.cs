using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Bench;

/// <summary>
/// `ledger-verify [records=1000000] [jsonl|csv]`: writes an export of N chained records to a temp file, then times
/// its full verification (form, hashes, chain, Merkle root, signed checkpoint) and reports peak memory.
/// </summary>
public static class LedgerVerifyBench
{
    public static async Task RunAsync(string[] args)
    {
        var count = args.Length > 0 ? long.Parse(args[0]) : 1_000_000;
        var format = args.Length > 1 && args[1] == "csv" ? LedgerExportFormat.Csv : LedgerExportFormat.Jsonl;
        var directory = Directory.CreateTempSubdirectory("panaptico-ledger-verify-");
        try
        {
            var path = Path.Combine(directory.FullName, "ledger." + (format == LedgerExportFormat.Csv ? "csv" : "jsonl"));
            var signer = EcdsaCheckpointSigner.Generate("bench/ledger");
            var write = Stopwatch.StartNew();
            await LedgerExportFiles.WriteAsync(path, format, new MerkleFrontier(), null, RecordsAsync(count), signer, signer.PublicKey,
                "bench/ledger", (null, null), default);
            write.Stop();
            var size = new FileInfo(path).Length;

            using var process = Process.GetCurrentProcess();
            GC.Collect();
            process.Refresh();
            var before = process.WorkingSet64;
            var cpuBefore = process.TotalProcessorTime;
            var verify = Stopwatch.StartNew();
            var result = await LedgerExportFiles.VerifyAsync(path, signer.PublicKey, default);
            verify.Stop();
            process.Refresh();

            Console.WriteLine($"ledger-verify: {count} records, {format}, {size / 1e6:F0} MB (written in {write.Elapsed.TotalSeconds:F1} s)");
            Console.WriteLine($"  verified        {(result.Ok ? "ok" : "FAILED: " + result.Failure)} ({result.Records} records, tree size {result.TreeSize})");
            Console.WriteLine($"  time            {verify.Elapsed.TotalSeconds:F2} s ({result.Records / verify.Elapsed.TotalSeconds:F0} records/s), CPU {(process.TotalProcessorTime - cpuBefore).TotalSeconds:F2} s on {Environment.ProcessorCount} cores");
            Console.WriteLine($"  peak working set {process.PeakWorkingSet64 / 1e6:F0} MB over the whole run (working set before verify {before / 1e6:F0} MB, after {process.WorkingSet64 / 1e6:F0} MB)");
            Console.WriteLine($"  GC              heap {GC.GetTotalMemory(false) / 1e6:F1} MB now, {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:F1} MB at last GC; gen0/1/2 collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async IAsyncEnumerable<string> RecordsAsync(long count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        string? prev = null;
        for (var seq = 0L; seq < count; seq++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = LedgerRecordFormat.Seal(seq, at.AddMilliseconds(seq * 10), new LedgerEntry(
                "governance", "task.approved", $"TASK-{seq % 5000:D4}", $"user:{seq % 37}",
                new JsonObject { ["gate"] = "evidence", ["artifact"] = "sha256:0f3c9a51d2e0b8f4a7c6e5d4c3b2a19081726354f6e5d4c3b2a1908172635f4e" }), prev);
            prev = record.Hash;
            yield return Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(record));
            if (seq % 10_000 == 0)
            {
                await Task.Yield();
            }
        }
    }
}
