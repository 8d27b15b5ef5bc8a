using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Ledger;

namespace Panaptico.Bench;

/// <summary>
/// `remediation-burst [--violations 1000] [--split]`: that many non-production containers with a long-lived write policy
/// (AZ-STG-004) detected by one scan, opened, and drained by two chain instances pumping the same queue as the
/// standalone queue trigger does (batches of 16, 100 ms → 2 s idle back-off). `--split` runs Azurite as one process
/// per service instead of one for all three (the default, as the tests and the demo run it). Reports detection and total time,
/// chains per second, duplicates (a step run twice, a fix written twice, a second ticket for an asset) and losses
/// (a violation without a closed change, a missing ledger entry).
/// </summary>
public static class RemediationBurstBench
{
    private const int LedgerEntriesPerChain = 7;

    public static async Task RunAsync(string[] args)
    {
        var at = Array.IndexOf(args, "--violations");
        var violations = at >= 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 1000;
        var split = args.Contains("--split");
        await using var single = split ? null : await AzuriteProcess.StartAsync();
        await using var separate = split ? await SplitAzurite.StartAsync() : null;
        var connectionString = single?.ConnectionString ?? separate!.ConnectionString;
        var blobs = new BlobServiceClient(connectionString);
        var setup = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, violations), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
        {
            var container = blobs.GetBlobContainerClient($"bench{i:D5}");
            await container.CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "dev" }, cancellationToken: ct);
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }],
                cancellationToken: ct);
        });
        Console.WriteLine($"remediation-burst: {violations} violating containers created in {setup.Elapsed.TotalSeconds:F1} s (not measured); Azurite as {(split ? "one process per service" : "one process")}");

        var (firstTrips, secondTrips) = (new StorageRoundTrips(), new StorageRoundTrips());
        var recorder = new BenchRecorder { Target = violations };
        var writes = new BenchConnector.Writes();
        var first = await RemediationBenchInstance.CreateAsync(connectionString, "burst", firstTrips, recorder, writes,
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), parallelism: 32);
        var second = await RemediationBenchInstance.CreateAsync(connectionString, "burst", secondTrips, recorder, writes,
            TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), parallelism: 32);
        using var stop = new CancellationTokenSource();
        var pumps = Task.WhenAll(first.PumpAsync(stop.Token), second.PumpAsync(stop.Token));

        var watch = Stopwatch.StartNew();
        var account = first.Chain.Accounts.All.Single();
        var scan = await account.Connector.ReadAccountAsync("bench", CancellationToken.None);
        var findings = PatternRegistry.Default.Detect(scan).Where(f => account.Covers(f.Asset)).ToList();
        var opened = await first.Chain.OpenAsync(findings, "system:violation-scan", CancellationToken.None);
        var detected = watch.Elapsed;
        var finished = await Task.WhenAny(recorder.AllClosed, Task.Delay(TimeSpan.FromSeconds(120)));
        watch.Stop();
        await stop.CancelAsync();
        await pumps;

        var ledger = new TableLedger(new Azure.Data.Tables.TableServiceClient(connectionString).GetTableClient(
            new Storage.Account.StorageNames("burst").LedgerTable), TimeProvider.System);
        var ledgerSize = (await ledger.ReadHeadAsync(CancellationToken.None)).Tree.Size;
        var stepsRunTwice = recorder.StepRuns.Count(r => r.Value > 1);
        var fixesTwice = writes.PerAsset.Count(w => w.Value > 1);
        var ticketsPerAsset = recorder.Assets.GroupBy(a => a.Value).Count(g => g.Count() > 1);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"  findings {findings.Count}, changes opened {opened.Count(o => o.Opened)}; detection + opening took {detected.TotalSeconds:F2} s");
        Console.WriteLine($"  closed {recorder.ClosedCount}/{violations} in {seconds:F2} s{(finished == recorder.AllClosed ? "" : " (gave up at 120 s)")} → {recorder.ClosedCount / seconds:F0} chains/s (goal: all within 30 s)");
        Console.WriteLine($"  duplicates: steps run twice {stepsRunTwice}, fixes written twice {fixesTwice}, assets with two tickets {ticketsPerAsset}");
        Console.WriteLine($"  losses: violations without a closed change {violations - recorder.ClosedCount}, ledger entries {ledgerSize} of {violations * LedgerEntriesPerChain} expected");
        Console.WriteLine($"  storage round-trips: {(firstTrips.Count + secondTrips.Count) / (double)violations:F1} per chain (incl. polls); empty polls {first.EmptyPolls + second.EmptyPolls}");
    }
}
