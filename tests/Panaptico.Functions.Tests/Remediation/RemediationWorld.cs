using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Remediation;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// One remediation test's world on the run's Azurite: its containers (under a unique prefix the app governs), one
/// storage prefix and host id that every app instance of the test shares, the real connector behind a counting
/// decorator, and a recorder of what the chain did. Apps started from it see the same storage, like two containers
/// of one deployment.
/// </summary>
public sealed class RemediationWorld
{
    /// <summary>The auto-approved path of a non-production container, as the ledger must show it: each entry once.</summary>
    public static readonly string[] AutoPath =
        ["change.opened", "change.approved", "change.backed-up", "change.fixed", "change.verified", "change.rollback-bundle-stored", "change.closed"];

    /// <summary>The steps of that path, each run once.</summary>
    public static readonly ChainStep[] AutoSteps =
        [ChainStep.TakeBackup, ChainStep.ApplyFix, ChainStep.VerifyFix, ChainStep.StoreRollbackBundle, ChainStep.SendCloseOut];

    private RemediationWorld(BlobServiceClient blobs, string connectionString, TimeProvider time)
    {
        Blobs = blobs;
        ConnectionString = connectionString;
        Connector = new CountingConnector(new AzureStorageConnector(blobs, new Dictionary<string, string>(), time));
    }

    public string ConnectionString { get; }
    public BlobServiceClient Blobs { get; }
    public string ContainerPrefix { get; } = TestStorage.UniqueName("rc")[..14];
    public string StoragePrefix { get; } = TestStorage.UniqueName("rem");
    public string HostId { get; } = TestStorage.UniqueName("remhost");
    public CountingConnector Connector { get; }
    public ChainRecorder Recorder { get; } = new();

    /// <param name="time">The clock the connector stamps its reads with; the app's, when the test fakes it.</param>
    public static async Task<RemediationWorld> CreateAsync(TimeProvider? time = null)
    {
        var connectionString = await TestStorage.ConnectionStringAsync();
        return new RemediationWorld(new BlobServiceClient(connectionString), connectionString, time ?? TimeProvider.System);
    }

    public async Task<TestFunctionApp> StartAsync(
        HostingMode mode,
        TimeProvider? time = null,
        ChainFaults? faults = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Panaptico:StoragePrefix"] = StoragePrefix,
            ["Functions:HostId"] = HostId,
            // Scans run when a test says so; the yearly schedule keeps the standalone timer out of the way.
            ["ViolationScanSchedule"] = "0 0 0 1 1 *",
            ["Remediation:Owners:Addresses:platform-security"] = "platform-security@acme.example",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        return await TestFunctionApp.StartAsync(mode, settings: all, services: collection =>
        {
            if (time is not null)
            {
                collection.AddSingleton(time);
            }
            collection.AddSingleton(new GovernedAccounts([new GovernedAccount(Connector, ContainerPrefix, IncludeBlobService: false)]));
            collection.AddSingleton<ChainObserver>(Recorder);
            if (faults is not null)
            {
                collection.AddSingleton(faults);
            }
            services?.Invoke(collection);
        });
    }

    /// <summary>A container under this world's prefix: production (env=prod, owner tag) or not, open to public read or not.</summary>
    public async Task<BlobContainerClient> CreateContainerAsync(string name, bool production, PublicAccessType access, bool longLivedWritePolicy = false)
    {
        var container = Blobs.GetBlobContainerClient($"{ContainerPrefix}-{name}");
        var metadata = production
            ? new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "platform-security" }
            : new Dictionary<string, string> { ["env"] = "dev" };
        await container.CreateAsync(access, metadata);
        if (longLivedWritePolicy)
        {
            await container.SetAccessPolicyAsync(access,
                [new BlobSignedIdentifier { Id = "uploader", AccessPolicy = new BlobAccessPolicy { Permissions = "rwd", PolicyExpiresOn = DateTimeOffset.UtcNow.AddDays(400) } }]);
        }
        return container;
    }

    public AssetId Asset(BlobContainerClient container) => AssetId.BlobContainer(Blobs.AccountName, container.Name);

    /// <summary>Runs the scan now, through the function invoker as a timer occurrence would.</summary>
    public static async Task ScanAsync(TestFunctionApp app)
    {
        var invoker = app.Services.GetRequiredService<FunctionInvoker>();
        await invoker.InvokeAsync(invoker.Find("ViolationScan")!, new JsonObject { ["timer"] = new JsonObject { ["IsPastDue"] = false } }, [], CancellationToken.None);
    }

    /// <summary>
    /// Plays the Functions host for the remediation queue of a custom-handler app: receives each visible message,
    /// posts it to <c>/RemediationStep</c> with its dequeue count, deletes it on 200 and makes it visible again on a
    /// failure, until no message is visible (delayed messages stay where they are) and <paramref name="until"/> holds.
    /// </summary>
    public static async Task PumpAsync(TestFunctionApp app, Func<bool>? until = null, TimeSpan? patience = null)
    {
        var queue = app.Services.GetRequiredService<DurableChangeChain>().Queue;
        var client = app.CreateClient();
        var deadline = DateTimeOffset.UtcNow + (patience ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            QueueMessage[] messages = (await queue.ReceiveMessagesAsync(16, TimeSpan.FromSeconds(30))).Value;
            if (messages.Length == 0)
            {
                if (until is null || until())
                {
                    return;
                }
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new TimeoutException("the chain did not get where the test expected");
                }
                await queue.GetPropertiesAsync(); // a round trip's wait before polling again, not a fixed sleep
                continue;
            }
            foreach (var message in messages)
            {
                var invocation = new JsonObject
                {
                    ["Data"] = new JsonObject { ["message"] = message.Body.ToString() },
                    ["Metadata"] = new JsonObject { ["DequeueCount"] = message.DequeueCount, ["Id"] = message.MessageId },
                };
                var response = await client.PostAsJsonAsync("/RemediationStep", invocation);
                if (response.IsSuccessStatusCode)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                else
                {
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
            }
        }
    }

    /// <summary>The ledger records about one change, in ledger order.</summary>
    public static async Task<IReadOnlyList<LedgerRecord>> LedgerOfAsync(TestFunctionApp app, ChangeId id)
    {
        var ledger = app.Services.GetRequiredService<TableLedger>();
        var head = await ledger.ReadHeadAsync(CancellationToken.None);
        var records = new List<LedgerRecord>();
        if (head.Tree.Size > 0)
        {
            await foreach (var record in ledger.ReadRangeAsync(0, head.Tree.Size - 1, CancellationToken.None))
            {
                if (record.Subject == id.ToString())
                {
                    records.Add(record);
                }
            }
        }
        return records;
    }
}

/// <summary>
/// The real connector, counting every write it executes; a test can make a write misbehave after it lands
/// (<see cref="AfterWrite"/>) or fail (<see cref="FailWrite"/>).
/// </summary>
public sealed class CountingConnector(IStorageAccountConnector inner) : IStorageAccountConnector
{
    public ConcurrentQueue<StorageOperation> Writes { get; } = new();

    public Func<StorageOperation, IStorageAccountConnector, Task>? AfterWrite { get; set; }

    public Func<StorageOperation, bool>? FailWrite { get; set; }

    public string Account => inner.Account;

    public IStorageAccountConnector Inner => inner;

    public Task<StorageAccountState> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken) =>
        inner.ReadAccountAsync(containerPrefix, cancellationToken);

    public Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken) => inner.ReadAssetAsync(asset, cancellationToken);

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        if (FailWrite?.Invoke(operation) == true)
        {
            throw new InvalidOperationException("the storage write failed (test)");
        }
        await inner.ExecuteAsync(operation, cancellationToken);
        Writes.Enqueue(operation);
        if (AfterWrite is not null)
        {
            await AfterWrite(operation, inner);
        }
    }

    public int WritesTo(AssetId asset) => Writes.Count(w => w.Asset == asset);
}

/// <summary>Records what the chains of a test did, shared by its app instances; tests wait on it instead of sleeping.</summary>
public sealed class ChainRecorder : ChainObserver
{
    private readonly object _gate = new();
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];
    private readonly ConcurrentDictionary<ChangeId, ChangeState> _committed = new();

    /// <summary>Each change's latest state whose transition has been dispatched (its ledger entries appended).</summary>
    public ConcurrentDictionary<ChangeId, ChangeState> Latest { get; } = new();
    public ConcurrentQueue<(ChangeId Change, ChainStep Step, long DequeueCount)> StepsRun { get; } = new();
    public ConcurrentQueue<ChangeState> Commits { get; } = new();

    /// <summary>The latest committed state of a change, dispatched or not.</summary>
    public ChangeState? CommittedState(ChangeId id) => _committed.TryGetValue(id, out var state) ? state : null;

    public override void Committed(ChangeState state, IReadOnlyList<ChainHistoryEntry> history)
    {
        Commits.Enqueue(state);
        _committed.AddOrUpdate(state.Id, state, (_, old) => old.Version > state.Version ? old : state);
    }

    public override void Dispatched(ChangeState state, int rows, bool recovered)
    {
        _committed.AddOrUpdate(state.Id, state, (_, old) => old.Version > state.Version ? old : state);
        Latest.AddOrUpdate(state.Id, state, (_, old) => old.Version > state.Version ? old : state);
        Check();
    }

    public override void StepRunning(ChangeId change, ChainStep step, long dequeueCount)
    {
        StepsRun.Enqueue((change, step, dequeueCount));
        Check();
    }

    public ChangeStage? StageOf(ChangeId id) => Latest.TryGetValue(id, out var state) ? state.Stage : null;

    public ChangeState? ChangeOn(AssetId asset) => Latest.Values.Where(s => s.Plan.Asset == asset).MaxBy(s => s.Version);

    /// <summary>Completes when the condition holds; the timeout only stops a broken test from hanging.</summary>
    public Task WhenAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((condition, signal));
        }
        Check();
        return signal.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    private void Check()
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters.Where(w => w.Done()).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}

/// <summary>Tokens of the people in the walkthrough.</summary>
public static class People
{
    /// <summary>Nina is the platform owner the shipped rules route a production change's seat to.</summary>
    public static string Approver(TestFunctionApp app, string id = "nina.ramirez", string name = "nina.ramirez") =>
        app.Issuer.Issue(id, name, [Core.Identity.Role.Approver]);

    /// <summary>Signs the change's routed seat as an approver does: reads the context pack hash from the change, then posts it with a rationale.</summary>
    public static Task<HttpResponseMessage> ApproveAsync(HttpClient approver, Core.Remediation.Tickets.ChangeId id, string rationale = "public read on production data is a leak") =>
        SignAsync(approver, id, "approve", rationale);

    public static Task<HttpResponseMessage> DenyAsync(HttpClient approver, Core.Remediation.Tickets.ChangeId id, string rationale) =>
        SignAsync(approver, id, "deny", rationale);

    private static async Task<HttpResponseMessage> SignAsync(HttpClient approver, Core.Remediation.Tickets.ChangeId id, string verb, string rationale)
    {
        var change = await approver.GetFromJsonAsync<JsonObject>($"/api/changes/{id}");
        var hash = change!["approvalGate"]?["contextPackSha256"]?.GetValue<string>() ?? "";
        return await approver.PostAsync($"/api/changes/{id}/{verb}", Json(new JsonObject { ["rationale"] = rationale, ["contextPackSha256"] = hash }.ToJsonString()));
    }

    public static string Operator(TestFunctionApp app) => app.Issuer.Issue("u-omar", "omar", [Core.Identity.Role.Operator]);

    public static string Auditor(TestFunctionApp app) => app.Issuer.Issue("u-ada", "ada", [Core.Identity.Role.Auditor]);

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
