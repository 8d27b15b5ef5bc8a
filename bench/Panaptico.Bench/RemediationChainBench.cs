using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Azurite;

namespace Panaptico.Bench;

/// <summary>
/// `remediation-chain [--chains 50]`: machine time from detection to close of the auto-approved chain (AZ-STG-004 on a
/// non-production container) through the durable chain on a fresh Azurite: a targeted re-check (the event path's read),
/// the opening, then every step from the real queue, with state, history and outbox in the changes table, the ledger,
/// the notifier and the rollback vault. No human wait is on this path. Chains run one after another; reports wall time
/// per chain, storage round-trips per chain (every HTTP request of the chain's clients, empty queue polls counted apart).
/// </summary>
public static class RemediationChainBench
{
    public static async Task RunAsync(string[] args)
    {
        var chains = args.Length > 1 && args[0] == "--chains" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        await using var azurite = await AzuriteProcess.StartAsync();
        var counter = new StorageRoundTrips();
        var recorder = new BenchRecorder();
        var writes = new BenchConnector.Writes();
        // A pump that polls again 2 ms after an empty receive: an ideal host, so polling cadence does not hide the chain's own cost.
        var instance = await RemediationBenchInstance.CreateAsync(azurite.ConnectionString, "bench", counter, recorder, writes,
            TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(2));
        var blobs = new BlobServiceClient(azurite.ConnectionString);
        var pattern = PatternRegistry.Default["AZ-STG-004"];
        var connector = instance.Chain.Accounts.All.Single().Connector;

        var names = new List<string>();
        for (var i = 0; i < chains + 1; i++)
        {
            var name = $"bench{i:D4}";
            var container = blobs.GetBlobContainerClient(name);
            await container.CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "dev" });
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
            names.Add(name);
        }

        using var stop = new CancellationTokenSource();
        var pump = instance.PumpAsync(stop.Token);
        var times = new List<double>();
        var trips = new List<long>();
        long emptyPolls = 0;
        for (var i = 0; i < names.Count; i++)
        {
            var asset = AssetId.BlobContainer(connector.Account, names[i]);
            var (tripsBefore, emptyBefore) = (counter.Count, instance.EmptyPolls);
            var watch = Stopwatch.StartNew();
            var current = await connector.ReadAssetAsync(asset, CancellationToken.None);
            var finding = pattern.Evaluate(current, new Dictionary<string, string> { ["env"] = "dev" }, DateTimeOffset.UtcNow)
                ?? throw new InvalidOperationException("no finding");
            var opened = (await instance.Chain.OpenAsync([finding], "system:violation-scan", CancellationToken.None)).Single();
            await recorder.ClosedAsync(opened.ChangeId!.Value);
            watch.Stop();
            var empty = instance.EmptyPolls - emptyBefore;
            if (i == 0)
            {
                continue; // warm-up
            }
            times.Add(watch.Elapsed.TotalMilliseconds);
            trips.Add(counter.Count - tripsBefore - empty);
            emptyPolls += empty;
        }
        await stop.CancelAsync();
        await pump;

        times.Sort();
        trips.Sort();
        Console.WriteLine($"remediation-chain: {times.Count} auto-approved chains, detection (targeted re-check) → closed, through queue + tables on Azurite");
        Console.WriteLine($"  per chain: median {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms (goal < 250 ms)");
        Console.WriteLine($"  storage round-trips per chain: median {trips[trips.Count / 2]}, min {trips[0]}, max {trips[^1]} (plus {(double)emptyPolls / times.Count:F1} empty queue polls at a 2 ms idle interval)");
        Console.WriteLine($"  fixes applied: {writes.PerAsset.Values.Sum()} for {writes.PerAsset.Count} assets; every chain closed: {recorder.ClosedCount == names.Count}");
    }
}
