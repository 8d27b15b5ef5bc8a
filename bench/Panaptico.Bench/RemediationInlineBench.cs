using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Azurite;

namespace Panaptico.Bench;

/// <summary>
/// `remediation-inline [--chains 50]`: the auto-approved chain (AZ-STG-004 on a non-production container) from a
/// targeted re-check to close, with every step's side effect run inline through the Azure Storage connector on a
/// fresh Azurite: the connector and state-machine share of the chain, before queues and state rows are added.
/// Reports wall time per chain and blob-service HTTP round-trips per chain.
/// </summary>
public static class RemediationInlineBench
{
    public static async Task RunAsync(string[] args)
    {
        var chains = args.Length > 1 && args[0] == "--chains" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
        await using var azurite = await AzuriteProcess.StartAsync();
        var counter = new RoundTrips();
        var options = new BlobClientOptions();
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var client = new BlobServiceClient(azurite.ConnectionString, options);
        var connector = new AzureStorageConnector(client, new Dictionary<string, string> { ["env"] = "dev" }, TimeProvider.System);
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy());
        var pattern = PatternRegistry.Default["AZ-STG-004"];

        var names = new List<string>();
        for (var i = 0; i < chains + 1; i++)
        {
            var name = $"bench{i:D4}{Guid.NewGuid():N}"[..20];
            var container = client.GetBlobContainerClient(name);
            await container.CreateAsync();
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
            names.Add(name);
        }

        var times = new List<double>();
        long trips = 0;
        for (var i = 0; i < names.Count; i++)
        {
            var before = counter.Count;
            var watch = Stopwatch.StartNew();
            await RunOneAsync(chain, pattern, connector, AssetId.BlobContainer(connector.Account, names[i]), i + 1);
            watch.Stop();
            if (i == 0)
            {
                continue; // warm-up
            }
            times.Add(watch.Elapsed.TotalMilliseconds);
            trips += counter.Count - before;
        }
        times.Sort();
        Console.WriteLine($"remediation-inline: {times.Count} auto-approved chains (re-check → close), connector + state machine, no queues/state rows");
        Console.WriteLine($"  per chain: median {times[times.Count / 2]:F1} ms, p95 {times[(int)(times.Count * 0.95)]:F1} ms, max {times[^1]:F1} ms");
        Console.WriteLine($"  blob round-trips per chain: {(double)trips / times.Count:F1}; chains over 100 ms: {times.Count(t => t > 100)}");
    }

    private static async Task RunOneAsync(ChangeChain chain, ViolationPattern pattern, IStorageAccountConnector connector, AssetId asset, int sequence)
    {
        var ct = CancellationToken.None;
        var now = DateTimeOffset.UtcNow;
        var current = await connector.ReadAssetAsync(asset, ct);
        var finding = pattern.Evaluate(current, new Dictionary<string, string> { ["env"] = "dev" }, now)
            ?? throw new InvalidOperationException("no finding");
        var transition = chain.Open(ChangeId.For(now, sequence), finding, "system:scan", now);
        var state = transition.State;
        var next = transition.Messages.ToList();
        while (next.Count > 0)
        {
            var step = next[0].Step;
            ChainEvent e = step switch
            {
                ChainStep.TakeBackup => new BackupTaken(DateTimeOffset.UtcNow, await connector.ReadAssetAsync(asset, ct), $"bench/{state.Id}", "-"),
                ChainStep.ApplyFix => await ExecuteAsync(connector, ChangeChain.OperationFor(state, step)),
                ChainStep.VerifyFix => new FixObserved(DateTimeOffset.UtcNow, await connector.ReadAssetAsync(asset, ct)),
                ChainStep.StoreRollbackBundle => new RollbackBundleStored(DateTimeOffset.UtcNow, $"bench/{state.Id}.bundle"),
                ChainStep.SendCloseOut => new CloseOutSent(DateTimeOffset.UtcNow),
                _ => throw new InvalidOperationException($"unexpected step {step}"),
            };
            var outcome = (ChainTransition)chain.Apply(state, e);
            state = outcome.State;
            next = [.. outcome.Messages];
        }
        if (state.Stage != ChangeStage.Closed)
        {
            throw new InvalidOperationException($"{state.Id} ended at {state.Stage}: {state.Outcome}");
        }
    }

    private static async Task<ChainEvent> ExecuteAsync(IStorageAccountConnector connector, StorageOperation operation)
    {
        await connector.ExecuteAsync(operation, CancellationToken.None);
        return new FixApplied(DateTimeOffset.UtcNow);
    }

    private sealed class RoundTrips : HttpPipelineSynchronousPolicy
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
    }
}
