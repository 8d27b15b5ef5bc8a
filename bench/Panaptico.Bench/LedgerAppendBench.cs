using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Ledger;

namespace Panaptico.Bench;

/// <summary>
/// `ledger-append [records=20000] [writers=16] [inflight=256] [ids=none|&lt;percent retried&gt;]`: 16 TableLedger instances
/// (as 16 processes would be) append concurrently to one table on Azurite; prints records/s, storage round trips per
/// record and a fork check. With ids, every entry carries an entry id, and that percentage of each writer's appends
/// repeat an id another writer appends too (a retried activity), so the ledger must answer them with the first record.
/// Uses PANAPTICO_STORAGE when set, else starts an Azurite from node_modules.
/// </summary>
public static class LedgerAppendBench
{
    public static async Task RunAsync(string[] args)
    {
        var records = args.Length > 0 ? int.Parse(args[0]) : 20_000;
        var writers = args.Length > 1 ? int.Parse(args[1]) : 16;
        var inflight = args.Length > 2 ? int.Parse(args[2]) : 256;
        int? retriedPercent = args.Length > 3 && args[3] != "none" ? int.Parse(args[3]) : null;

        var connection = Environment.GetEnvironmentVariable("PANAPTICO_STORAGE");
        AzuriteProcess? azurite = null;
        if (string.IsNullOrWhiteSpace(connection))
        {
            azurite = await AzuriteProcess.StartAsync();
            connection = azurite.ConnectionString;
        }

        try
        {
            var counter = new RoundTripCounter();
            var options = new TableClientOptions();
            options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
            var tableName = "ledgerbench" + Guid.NewGuid().ToString("N")[..10];
            var setup = new TableClient(connection, tableName, options);
            await setup.CreateIfNotExistsAsync();

            // Separate clients and ledgers: nothing shared in process but the counter.
            var ledgers = Enumerable.Range(0, writers).Select(_ => new TableLedger(new TableClient(connection, tableName, options), TimeProvider.System)).ToList();
            counter.Reset();
            var perWriter = records / writers;
            var stopwatch = Stopwatch.StartNew();
            var answers = await Task.WhenAll(ledgers.Select((ledger, w) => WriteAsync(ledger, w, writers, perWriter, inflight, retriedPercent)));
            stopwatch.Stop();
            var total = perWriter * writers;
            var trips = counter.Count;
            var distinct = answers.SelectMany(a => a).Select(r => r.Subject).Distinct().Count(); // one record per subject expected

            var verify = await VerifyAsync(ledgers[0], distinct);
            var ids = retriedPercent is { } p ? $"entry ids, {p}% repeating another writer's id" : "no entry ids";
            Console.WriteLine($"ledger-append: {total} appends ({distinct} records), {writers} writers (separate TableLedger instances), {inflight} appends in flight per writer, {ids}");
            Console.WriteLine($"  time            {stopwatch.Elapsed.TotalSeconds:F2} s");
            Console.WriteLine($"  throughput      {total / stopwatch.Elapsed.TotalSeconds:F0} records/s");
            Console.WriteLine($"  round trips     {trips} ({(double)trips / total:F3} per record; {ledgers.Sum(l => l.Commits)} commits, {ledgers.Sum(l => l.Conflicts)} lost races, {ledgers.Sum(l => l.Waits)} waits)");
            Console.WriteLine($"  forks/gaps      {verify}");
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }

            await setup.DeleteAsync();
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }
        }
    }

    private static async Task<LedgerRecord[]> WriteAsync(TableLedger ledger, int writer, int writers, int count, int inflight, int? retriedPercent)
    {
        using var window = new SemaphoreSlim(inflight);
        var tasks = new List<Task<LedgerRecord>>(count);
        var random = new Random(writer);
        for (var i = 0; i < count; i++)
        {
            await window.WaitAsync();

            // A repeat names the entry the next writer appends at the same position, so the two race.
            var owner = retriedPercent is { } p && random.Next(100) < p ? (writer + 1) % writers : writer;
            var entry = new LedgerEntry("governance", "task.approved", $"TASK-{owner:D2}-{i:D6}", $"user:writer{writer}",
                new JsonObject { ["gate"] = "evidence", ["artifact"] = "sha256:" + new string('a', 64) })
            { EntryId = retriedPercent is null ? null : $"TASK-{owner:D2}-{i:D6}/approve" };
            var append = ledger.AppendAsync(entry, default);
            _ = append.ContinueWith(_ => window.Release(), TaskScheduler.Default);
            tasks.Add(append);
        }

        return await Task.WhenAll(tasks);
    }

    private static async Task<string> VerifyAsync(TableLedger ledger, int expected)
    {
        var verifier = new LedgerExportVerifier();
        var line = 0L;
        await foreach (var record in ledger.ReadCanonicalAsync(0, long.MaxValue / 2, default))
        {
            if (!verifier.Add(Encoding.UTF8.GetBytes(record), ++line))
            {
                break;
            }
        }

        var head = await ledger.ReadHeadAsync(default);
        var signer = EcdsaCheckpointSigner.Generate("bench/ledger");
        var result = verifier.Complete(await SignedCheckpoint.SignAsync(head.Checkpoint("bench/ledger"), signer, default), signer.PublicKey);
        return result.Ok && result.Records == expected
            ? $"0 forks, 0 gaps: seq 0..{result.Records - 1} chain and Merkle root verified"
            : $"FAILED: {result.Failure} ({result.Records} of {expected} records)";
    }

    private sealed class RoundTripCounter : HttpPipelineSynchronousPolicy
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
