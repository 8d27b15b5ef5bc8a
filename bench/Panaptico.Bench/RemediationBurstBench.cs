using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation;
using Panaptico.Storage.Account;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Ledger;

namespace Panaptico.Bench;

/// <summary>
/// `remediation-burst [--violations 1000] [--timeout 300] [--split] [--partitions --activities --orchestrators --batch --poll
/// --scan-parallelism]`: that many containers tagged <c>env=dev</c> with a long-lived write policy (AZ-STG-004) on a
/// fresh Azurite, detected by one pass of what the <c>ViolationScan</c> timer does (read the account, run the library,
/// <c>ChangeIntake.OpenAsync</c>), and drained by two standalone instances of the function app in this process
/// (two <c>BuildStandalone</c> apps sharing one task hub, changes table and ledger; DTFx balances the partitions between
/// them). Reports detection time, time until every change's <c>change.closed</c> is stored, chains/s; duplicates (a
/// connector write executed twice for an asset; a change with two <c>change.fixed</c> records in the stored ledger) and
/// losses (a violation without a closed change; ledger records short of 7 per change), and storage requests.
/// <c>--split</c> runs Azurite as one process per service (its JavaScript thread is one for all three otherwise).
/// </summary>
public static class RemediationBurstBench
{
    private const int LedgerEntriesPerChain = 7;

    public static async Task RunAsync(string[] args)
    {
        var violations = DurableBenchSettings.Int(args, "--violations", 1000);
        var timeout = TimeSpan.FromSeconds(DurableBenchSettings.Int(args, "--timeout", 300));
        var durable = DurableBenchSettings.Parse(args, new DurableBenchSettings());
        var split = args.Contains("--split");
        await using var single = split ? null : await AzuriteProcess.StartAsync();
        await using var separate = split ? await SplitAzurite.StartAsync() : null;
        var connectionString = single?.ConnectionString ?? separate!.ConnectionString;
        var blobs = new BlobServiceClient(connectionString);
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, violations), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var container = blobs.GetBlobContainerClient($"{BenchFunctionApp.ContainerPrefix}c{i:D5}");
            await container.CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "dev" }, cancellationToken: ct);
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }],
                cancellationToken: ct);
        });
        Console.WriteLine($"remediation-burst: {violations} violating containers created in {setup.Elapsed.TotalSeconds:F1} s (not measured); Azurite as {(split ? "one process per service" : "one process")}");
        Console.WriteLine($"  two standalone instances in this process, one task hub; {durable}, scan parallelism {durable.ScanParallelism}");

        const string hub = "bursthub";
        using var requests = new StorageRequests(hub);
        var ledger = new LedgerWatch { Target = violations };
        var writes = new ConnectorWrites();
        await using var first = await BenchFunctionApp.StartAsync(connectionString, hub, durable, ledger, writes);
        await using var second = await BenchFunctionApp.StartAsync(connectionString, hub, durable, ledger, writes);
        var before = requests.Now;

        var watch = Stopwatch.StartNew();
        // One pass of the ViolationScan timer, on the first instance.
        var account = first.Account;
        var scan = await account.Connector.ReadAccountAsync(account.ContainerPrefix, CancellationToken.None);
        var findings = PatternRegistry.Default.Detect(scan).Where(f => account.Covers(f.Asset)).ToList();
        var opened = await first.Intake.OpenAsync(first.Client, findings, "system:violation-scan", CancellationToken.None);
        var detected = watch.Elapsed;
        // Progress on stderr every 10 s, so a long run shows its rate as it goes.
        var done = Task.WhenAny(ledger.AllClosed, Task.Delay(timeout - detected));
        while (await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(10))) != done)
        {
            Console.Error.WriteLine($"  {watch.Elapsed.TotalSeconds,6:F0} s: {ledger.ClosedCount} closed");
        }
        var finished = await done;
        watch.Stop();
        var used = requests.Now - before;

        // The stored ledger, read back: each change's records by kind.
        var names = new StorageNames(BenchFunctionApp.Prefix);
        var tableLedger = new TableLedger(new TableServiceClient(connectionString).GetTableClient(names.LedgerTable), TimeProvider.System);
        var size = (await tableLedger.ReadHeadAsync(CancellationToken.None)).Tree.Size;
        var kinds = new Dictionary<(string Subject, string Kind), int>();
        await foreach (var record in tableLedger.ReadRangeAsync(1, size, CancellationToken.None))
        {
            kinds[(record.Subject, record.Kind)] = kinds.GetValueOrDefault((record.Subject, record.Kind)) + 1;
        }
        var changes = opened.Where(o => o.Opened).Select(o => o.ChangeId!.Value.ToString()).ToList();
        var fixedTwice = changes.Count(c => kinds.GetValueOrDefault((c, "change.fixed")) > 1);
        var notFixed = changes.Count(c => kinds.GetValueOrDefault((c, "change.fixed")) == 0);
        var closedInLedger = changes.Count(c => kinds.GetValueOrDefault((c, "change.closed")) == 1);
        var rerunAppends = ledger.AppendsPerEntryId.Count(a => a.Value > 1);

        var seconds = watch.Elapsed.TotalSeconds;
        var drain = seconds - detected.TotalSeconds;
        Console.WriteLine($"  findings {findings.Count}, changes opened {changes.Count}; detection + scheduling took {detected.TotalSeconds:F2} s");
        Console.WriteLine($"  closed {ledger.ClosedCount}/{violations} in {seconds:F2} s from detection ({drain:F2} s after it){(finished == ledger.AllClosed ? "" : $" (gave up at {timeout.TotalSeconds:F0} s)")}" +
            $" → {ledger.ClosedCount / seconds:F1} chains/s overall, {ledger.ClosedCount / drain:F1} chains/s draining (goal: all within 60 s)");
        Console.WriteLine($"  duplicates: fixes written twice {writes.PerAsset.Count(w => w.Value > 1)} (connector writes {writes.PerAsset.Values.Sum()} for {writes.PerAsset.Count} assets), " +
            $"changes with two change.fixed records {fixedTwice}; ledger appends repeated by a re-run activity {rerunAppends} (de-duplicated by entry id)");
        Console.WriteLine($"  losses: violations without a closed change {violations - ledger.ClosedCount}, without change.fixed {notFixed}; " +
            $"change.closed in the stored ledger {closedInLedger}/{changes.Count}; ledger records {size} of {violations * LedgerEntriesPerChain} expected");
        Console.WriteLine($"  storage requests per violation (detection and drain, both instances, incl. polls): {used.Describe(violations)}");
        requests.PrintDetail();
    }
}
