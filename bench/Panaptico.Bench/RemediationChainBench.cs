using System.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Azurite;

namespace Panaptico.Bench;

/// <summary>
/// `remediation-chain [--chains 50] [--partitions --activities --orchestrators --batch --poll]` (on the Azurite in
/// <c>PANAPTICO_BENCH_STORAGE</c> when set, else a fresh one): machine time from
/// detection to close of the auto-approved chain (AZ-STG-004 on a container tagged <c>env=dev</c>, which the policy
/// approves without a person) on the function app's standalone host: the event path's targeted re-check (read the
/// asset, evaluate the library with its metadata as tags), <c>ChangeIntake.OpenAsync</c> (index, schedule the
/// <c>RemediationChain</c> orchestration), then the orchestration on DTFx over Azurite until its <c>change.closed</c>
/// ledger entry is stored (after the changes table reads closed): seen in-process by a ledger decorator, so waiting
/// costs no storage request. Chains run one after another on a fresh Azurite; requests are counted per chain from the
/// HTTP stack (<see cref="StorageRequests"/>), including what the engine's pollers and lease renewals send meanwhile.
/// </summary>
public static class RemediationChainBench
{
    public static async Task RunAsync(string[] args)
    {
        var chains = DurableBenchSettings.Int(args, "--chains", 50);
        var durable = DurableBenchSettings.Parse(args, new DurableBenchSettings(PartitionCount: 1));
        // PANAPTICO_BENCH_STORAGE: an Azurite started by hand (e.g. with --debug, to count requests at its side too).
        var given = Environment.GetEnvironmentVariable("PANAPTICO_BENCH_STORAGE");
        await using var azurite = given is { Length: > 0 } ? null : await AzuriteProcess.StartAsync();
        var connectionString = given is { Length: > 0 } ? given : azurite!.ConnectionString;
        const string hub = "benchhub";
        using var requests = new StorageRequests(hub);
        var ledger = new LedgerWatch();
        var writes = new ConnectorWrites();
        await using var app = await BenchFunctionApp.StartAsync(connectionString, hub, durable, ledger, writes);
        var blobs = new BlobServiceClient(connectionString);
        var pattern = PatternRegistry.Default["AZ-STG-004"];
        var account = app.Account;

        var names = new List<string>();
        for (var i = 0; i < chains + 1; i++)
        {
            var name = $"{BenchFunctionApp.ContainerPrefix}c{i:D4}";
            var container = blobs.GetBlobContainerClient(name);
            await container.CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "dev" });
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
            names.Add(name);
        }

        var times = new List<double>();
        var perChain = new List<long>();
        var sum = default(StorageRequests.Snapshot);
        for (var i = 0; i < names.Count; i++)
        {
            var asset = AssetId.BlobContainer(account.Account, names[i]);
            var before = requests.Now;
            var watch = Stopwatch.StartNew();
            // What ResourceEvents does for a blob-container write event: re-check that one asset, open what it finds.
            var current = (ContainerState)await account.Connector.ReadAssetAsync(asset, CancellationToken.None);
            var tags = new Dictionary<string, string>(current.Metadata, StringComparer.OrdinalIgnoreCase);
            var finding = pattern.Evaluate(current, tags, DateTimeOffset.UtcNow) ?? throw new InvalidOperationException("no finding");
            var opened = (await app.Intake.OpenAsync(app.Client, [finding], "system:violation-scan", CancellationToken.None)).Single();
            var closed = ledger.ClosedAsync(opened.ChangeId!.Value.ToString());
            if (await Task.WhenAny(closed, Task.Delay(TimeSpan.FromSeconds(120))) != closed)
            {
                throw new TimeoutException($"{opened.ChangeId} did not close within 120 s");
            }
            watch.Stop();
            var used = requests.Now - before;
            if (i == 0)
            {
                continue; // warm-up: JIT, the first lease and table round trips
            }
            times.Add(watch.Elapsed.TotalMilliseconds);
            perChain.Add(used.Total);
            sum = new StorageRequests.Snapshot(sum.HubQueue + used.HubQueue, sum.HubTable + used.HubTable, sum.HubBlob + used.HubBlob,
                sum.Batch + used.Batch, sum.App + used.App);
        }

        times.Sort();
        perChain.Sort();
        Console.WriteLine($"remediation-chain: {times.Count} auto-approved chains (AZ-STG-004, env=dev), detection (targeted re-check + ChangeIntake) → change.closed stored,");
        Console.WriteLine($"  on the standalone host: DTFx TaskHubWorker + AzureStorageOrchestrationService on Azurite, one instance; {durable}");
        Console.WriteLine($"  per chain: median {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms (goal: median < 250 ms)");
        Console.WriteLine($"  storage requests per chain: median {perChain[perChain.Count / 2]}, min {perChain[0]}, max {perChain[^1]}; mean {sum.Describe(times.Count)}");
        Console.WriteLine($"  fixes written: {writes.PerAsset.Values.Sum()} for {writes.PerAsset.Count} assets; closed {ledger.ClosedCount}/{names.Count}");
        Console.WriteLine($"  whole run: {requests.Now.Total} storage requests (start-up, container set-up and the warm-up chain included)");
        requests.PrintDetail();
    }
}
