using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Remediation;
using Panaptico.Testing;
using Xunit.Abstractions;

namespace Panaptico.Functions.Tests.Crash;

/// <summary>
/// The standalone app as two real processes on one task hub, killed with SIGKILL at random moments while 20 changes run
/// and started again, five rounds: nothing is lost and nothing happens twice, counted where it lands.
/// </summary>
public sealed partial class RemediationCrashTests(ITestOutputHelper output)
{
    private const int Changes = 20;
    private const int Rounds = 5;

    [Fact]
    public async Task Twenty_changes_close_once_each_with_one_fix_and_one_ledger_entry_per_step_while_two_instances_are_killed_and_restarted()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var direct = await TestStorage.ConnectionStringAsync();
        var blobEndpoint = new Uri(BlobEndpoint().Match(direct).Groups[1].Value);
        await using var proxy = await CountingBlobProxy.StartAsync(new Uri(blobEndpoint.GetLeftPart(UriPartial.Authority)));
        var proxied = BlobEndpoint().Replace(direct, $"BlobEndpoint={new Uri(proxy.Address, blobEndpoint.AbsolutePath)};");

        var prefix = TestStorage.UniqueName("crash");
        var storagePrefix = TestStorage.UniqueName("p");
        var blobs = new BlobServiceClient(direct);
        for (var i = 0; i < Changes; i++)
        {
            // AZ-STG-004 on a non-production container: auto-approved, so the chain runs without a person.
            var container = blobs.GetBlobContainerClient($"{prefix}c{i:D2}");
            await container.CreateAsync(PublicAccessType.None, new Dictionary<string, string> { ["env"] = "dev", ["owner"] = "platform" });
            await container.SetAccessPolicyAsync(PublicAccessType.None,
                [new BlobSignedIdentifier { Id = "upload", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
        }

        const string durable = "AzureFunctionsJobHost:extensions:durableTask:";
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = proxied,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Panaptico:StoragePrefix"] = storagePrefix,
            ["Functions:HostId"] = TestStorage.UniqueName("host"),
            [durable + "hubName"] = TestStorage.UniqueName("hub"),
            [durable + "storageProvider:partitionCount"] = "2",
            [durable + "storageProvider:workItemQueueVisibilityTimeout"] = "00:00:04",
            [durable + "storageProvider:controlQueueVisibilityTimeout"] = "00:00:04",
            [durable + "storageProvider:maxQueuePollingInterval"] = "00:00:00.500",
            [durable + "storageProvider:partitionLeaseInterval"] = "00:00:04",
            [durable + "storageProvider:partitionLeaseRenewInterval"] = "00:00:01",
            ["ViolationScanSchedule"] = "* * * * * *",
            ["HeartbeatSchedule"] = "0 0 0 * * *",
            // Two instances would both fire each minute's drift sweep (the Functions host runs a timer on one); not what this test is about.
            ["DriftSweepSchedule"] = "0 0 0 * * *",
            ["Remediation:Accounts:0:ContainerPrefix"] = prefix,
            ["Remediation:Accounts:0:IncludeBlobService"] = "false",
            ["Remediation:StepRetryInterval"] = "00:00:01",
        };
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var instances = new AppProcess?[2];
        try
        {
            for (var i = 0; i < instances.Length; i++)
            {
                instances[i] = await AppProcess.StartAsync(settings, patience.Token);
            }
            for (var round = 1; round <= Rounds; round++)
            {
                // A random moment: the chaos schedule, not a wait for something to happen.
                await Task.Delay(random.Next(200, 2500), patience.Token);
                var victims = Environment.GetEnvironmentVariable("CRASH_NO_KILL") is not null ? Array.Empty<int>() : random.Next(3) switch { 0 => new[] { 0 }, 1 => [1], _ => [0, 1] };
                foreach (var victim in victims)
                {
                    await instances[victim]!.KillAsync();
                    await instances[victim]!.DisposeAsync();
                    instances[victim] = null;
                }
                output.WriteLine($"round {round}: killed instance(s) {string.Join(", ", victims)}");
                foreach (var victim in victims)
                {
                    instances[victim] = await AppProcess.StartAsync(settings, patience.Token);
                }
            }

            var tables = new TableServiceClient(direct);
            var changes = new ChangeTable(tables.GetTableClient(storagePrefix + "changes"));
            IReadOnlyList<ChangeSummary> all;
            using var settle = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            while (true)
            {
                all = await changes.ListAsync(1000, patience.Token);
                if (all.Count >= Changes && all.All(c => c.Stage == ChangeStage.Closed))
                {
                    break;
                }
                if (settle.IsCancellationRequested)
                {
                    output.WriteLine(string.Join('\n', all.Select(c => $"{c.Id} {c.Stage} {c.Asset}")));
                    output.WriteLine(string.Join('\n', instances.Select(i => i?.Output ?? "")));
                    Assert.Fail($"{all.Count(c => c.Stage == ChangeStage.Closed)} of {Changes} changes closed in time");
                }
                await Task.Delay(250, patience.Token);
            }

            // One change per violation, each closed.
            Assert.Equal(Changes, all.Count);
            Assert.Equal(Changes, all.Select(c => c.Asset).Distinct().Count());
            // Each fix written once, as the blob service saw it.
            Assert.Equal(Changes, proxy.AclWrites.Count(w => w.Key.StartsWith(prefix, StringComparison.Ordinal)));
            Assert.All(proxy.AclWrites.Where(w => w.Key.StartsWith(prefix, StringComparison.Ordinal)), w => Assert.Equal(1, w.Value));

            // Every ledger entry once, and the ledger verifies.
            await using var ledger = new TableLedger(tables.GetTableClient(storagePrefix + "ledger"), TimeProvider.System);
            LedgerHead head;
            List<LedgerRecord> records;
            while (true)
            {
                // The change's row is written before its ledger entries: a change just seen Closed may not have
                // its change.closed in the ledger yet.
                head = await ledger.ReadHeadAsync(patience.Token);
                records = [];
                await foreach (var record in ledger.ReadRangeAsync(0, head.Tree.Size - 1, patience.Token))
                {
                    records.Add(record);
                }
                if (all.All(c => records.Any(r => r.Subject == c.Id.ToString() && r.Kind == "change.closed")) || settle.IsCancellationRequested)
                {
                    break;
                }
                await Task.Delay(250, patience.Token);
            }
            var ofChanges = records.Where(r => r.Stream == ChangeChain.LedgerStream).ToList();
            Assert.All(ofChanges.GroupBy(r => (r.Subject, r.Kind)), g => Assert.Single(g));
            Assert.All(all, c =>
            {
                Assert.Single(ofChanges, r => r.Subject == c.Id.ToString() && r.Kind == "change.fixed");
                Assert.Single(ofChanges, r => r.Subject == c.Id.ToString() && r.Kind == "change.verified");
                Assert.Single(ofChanges, r => r.Subject == c.Id.ToString() && r.Kind == "change.closed");
            });
            var signer = EcdsaCheckpointSigner.Generate("panaptico.test/crash");
            var path = Path.Combine(Path.GetTempPath(), $"{prefix}.jsonl");
            await TableLedgerExport.ExportSeqRangeAsync(ledger, 0, head.Tree.Size - 1, LedgerExportFormat.Jsonl, path, signer, signer.PublicKey,
                "panaptico.test/crash", (null, null), patience.Token);
            var verified = await LedgerExportFiles.VerifyAsync(path, signer.PublicKey, patience.Token);
            Assert.True(verified.Ok, verified.Failure?.ToString());
            output.WriteLine($"{all.Count} changes closed; {records.Count} ledger records; ACL writes {proxy.AclWrites.Values.Sum()}");
        }
        finally
        {
            foreach (var instance in instances)
            {
                if (instance is not null)
                {
                    await instance.DisposeAsync();
                }
            }
        }
    }

    [GeneratedRegex(@"BlobEndpoint=([^;]+);")]
    private static partial Regex BlobEndpoint();
}
