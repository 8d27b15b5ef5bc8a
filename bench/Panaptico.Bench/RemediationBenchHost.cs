using System.Collections.Concurrent;
using System.Globalization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Account;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;
using Panaptico.Storage.Remediation;

namespace Panaptico.Bench;

/// <summary>
/// One app instance's worth of the durable chain for the remediation benchmarks: its own storage clients (every
/// request counted by a pipeline policy), ledger flusher, notifier and chain, on a shared prefix, and a queue pump that
/// behaves as the standalone queue trigger does (batches of 16 run together, re-poll at once after a batch, back off
/// when idle). The function app itself is not in the bench project's references; this is the same code path below it.
/// </summary>
internal sealed class RemediationBenchInstance
{
    private const int BatchSize = 16;
    private const int MaxDequeueCount = 5;
    private readonly TimeSpan _minIdle;
    private readonly TimeSpan _maxIdle;
    private long _emptyPolls;

    private RemediationBenchInstance(DurableChangeChain chain, QueueClient queue, TimeSpan minIdle, TimeSpan maxIdle)
    {
        Chain = chain;
        Queue = queue;
        _minIdle = minIdle;
        _maxIdle = maxIdle;
    }

    public DurableChangeChain Chain { get; }
    public QueueClient Queue { get; }
    public long EmptyPolls => Interlocked.Read(ref _emptyPolls);

    public static async Task<RemediationBenchInstance> CreateAsync(
        string connectionString, string prefix, HttpPipelinePolicy counter, ChainObserver observer, BenchConnector.Writes writes,
        TimeSpan minIdle, TimeSpan maxIdle, int parallelism = 16)
    {
        var names = new StorageNames(prefix);
        var tableOptions = new TableClientOptions();
        tableOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        queueOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var tables = new TableServiceClient(connectionString, tableOptions);
        var blobs = new BlobServiceClient(connectionString, blobOptions);
        var queue = new QueueServiceClient(connectionString, queueOptions).GetQueueClient(names.Queue("remediation"));
        var time = TimeProvider.System;

        var changes = tables.GetTableClient(names.Table("changes"));
        var ledger = new TableLedger(tables.GetTableClient(names.LedgerTable), time);
        var outbox = tables.GetTableClient(names.OutboxTable);
        await Task.WhenAll(ledger.EnsureCreatedAsync(CancellationToken.None), outbox.CreateIfNotExistsAsync());
        var connector = new BenchConnector(new AzureStorageConnector(blobs, new Dictionary<string, string> { ["env"] = "dev" }, time), writes);
        var chain = new DurableChangeChain(
            new ChangeChain(PatternRegistry.Default, new RemediationPolicy()),
            PatternRegistry.Default,
            new ChangeTable(changes),
            new ChangeIdCounter(changes),
            new OpenChangeIndex(changes),
            queue,
            new RollbackVault(blobs.GetBlobContainerClient(names.RollbackVaultContainer), time),
            new GovernedAccounts([new GovernedAccount(connector, "bench", IncludeBlobService: false)]),
            ledger,
            new LedgerReplayCheck(ledger),
            new OutboxNotifier(outbox, time),
            time,
            new DurableChainOptions { Parallelism = parallelism },
            observer: observer);
        await chain.EnsureCreatedAsync(CancellationToken.None);
        return new RemediationBenchInstance(chain, queue, minIdle, maxIdle);
    }

    /// <summary>Drains the remediation queue until stopped.</summary>
    public async Task PumpAsync(CancellationToken stop)
    {
        var idle = _minIdle;
        while (!stop.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                messages = (await Queue.ReceiveMessagesAsync(BatchSize, TimeSpan.FromSeconds(30), stop)).Value;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (messages.Length == 0)
            {
                Interlocked.Increment(ref _emptyPolls);
                try
                {
                    await Task.Delay(idle, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, _maxIdle.Ticks));
                continue;
            }
            idle = _minIdle;
            await Task.WhenAll(messages.Select(HandleAsync));
        }
    }

    private async Task HandleAsync(QueueMessage message)
    {
        try
        {
            await Chain.RunStepAsync(ChainStepMessage.Parse(message.Body.ToString()),
                new StepDelivery(message.MessageId, message.DequeueCount, MaxDequeueCount), CancellationToken.None);
            await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"step failed (will be redelivered): {e.GetType().Name}: {e.Message}");
            await Queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }
    }
}

/// <summary>Counts every storage request (each HTTP attempt) made through the clients it is added to.</summary>
internal sealed class StorageRoundTrips : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}

/// <summary>The real connector, counting the writes it executes per asset.</summary>
internal sealed class BenchConnector(IStorageAccountConnector inner, BenchConnector.Writes writes) : IStorageAccountConnector
{
    public string Account => inner.Account;

    public Task<StorageAccountState> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken) =>
        inner.ReadAccountAsync(containerPrefix, cancellationToken);

    public Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken) => inner.ReadAssetAsync(asset, cancellationToken);

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        await inner.ExecuteAsync(operation, cancellationToken);
        writes.PerAsset.AddOrUpdate(operation.Asset, 1, (_, n) => n + 1);
    }

    public sealed class Writes
    {
        public ConcurrentDictionary<AssetId, int> PerAsset { get; } = new();
    }
}

/// <summary>What the chains did across instances: closes, steps run, and a signal per change and for a total.</summary>
internal sealed class BenchRecorder : ChainObserver
{
    private readonly ConcurrentDictionary<ChangeId, TaskCompletionSource<ChangeState>> _closed = new();
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closedCount;

    public int Target { get; set; } = int.MaxValue;
    public ConcurrentDictionary<(ChangeId, ChainStep), int> StepRuns { get; } = new();
    public ConcurrentDictionary<ChangeId, AssetId> Assets { get; } = new();
    public ConcurrentDictionary<ChangeId, int> Ended { get; } = new();
    public int ClosedCount => Volatile.Read(ref _closedCount);
    public Task AllClosed => _all.Task;

    public Task<ChangeState> ClosedAsync(ChangeId id) => Signal(id).Task;

    public override void Committed(ChangeState state, IReadOnlyList<ChainHistoryEntry> history)
    {
        Assets.TryAdd(state.Id, state.Plan.Asset);
        if (!state.Stage.IsTerminal() && state.Stage != ChangeStage.Closed)
        {
            return;
        }
        Ended.AddOrUpdate(state.Id, 1, (_, n) => n + 1);
        if (state.Stage == ChangeStage.Closed)
        {
            Signal(state.Id).TrySetResult(state);
            if (Interlocked.Increment(ref _closedCount) >= Target)
            {
                _all.TrySetResult();
            }
        }
        else
        {
            Signal(state.Id).TrySetException(new InvalidOperationException($"{state.Id} ended {state.Stage.Name()}: {state.Outcome}"));
        }
    }

    public override void StepRunning(ChangeId change, ChainStep step, long dequeueCount) =>
        StepRuns.AddOrUpdate((change, step), 1, (_, n) => n + 1);

    private TaskCompletionSource<ChangeState> Signal(ChangeId id) =>
        _closed.GetOrAdd(id, _ => new TaskCompletionSource<ChangeState>(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>
/// Azurite as three node processes, one per service (azurite-blob, azurite-queue, azurite-table), so the emulator's
/// single JavaScript thread per process is not one thread for all three services. For the burst bench's --split option.
/// </summary>
internal sealed class SplitAzurite : IAsyncDisposable
{
    private readonly List<System.Diagnostics.Process> _processes = [];
    private readonly string _workspace = Path.Combine(Path.GetTempPath(), "panaptico-azurite-split-" + Guid.NewGuid().ToString("N")[..12]);

    public string ConnectionString { get; private set; } = "";

    public static async Task<SplitAzurite> StartAsync()
    {
        var root = Directory.GetCurrentDirectory();
        while (!File.Exists(Path.Combine(root, "node_modules", "azurite", "package.json")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("node_modules/azurite not found: run npm ci");
        }
        var azurite = new SplitAzurite();
        var ports = new Dictionary<string, int>();
        foreach (var service in new[] { "blob", "queue", "table" })
        {
            var port = FreePort();
            ports[service] = port;
            var location = Path.Combine(azurite._workspace, service);
            Directory.CreateDirectory(location);
            var start = new System.Diagnostics.ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[]
            {
                Path.Combine(root, "node_modules", "azurite", "dist", "src", service, "main.js"), "--location", location,
                "--skipApiVersionCheck", "--disableTelemetry", "--loose", $"--{service}Host", "127.0.0.1", $"--{service}Port", port.ToString(CultureInfo.InvariantCulture),
            })
            {
                start.ArgumentList.Add(arg);
            }
            azurite._processes.Add(System.Diagnostics.Process.Start(start)!);
        }
        foreach (var port in ports.Values)
        {
            await WaitListeningAsync(port);
        }
        azurite.ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteProcess.DevAccountName};AccountKey={AzuriteProcess.DevAccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{ports["blob"]}/{AzuriteProcess.DevAccountName};" +
            $"QueueEndpoint=http://127.0.0.1:{ports["queue"]}/{AzuriteProcess.DevAccountName};" +
            $"TableEndpoint=http://127.0.0.1:{ports["table"]}/{AzuriteProcess.DevAccountName};";
        return azurite;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
        }
        Directory.Delete(_workspace, recursive: true);
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitListeningAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var client = new System.Net.Sockets.TcpClient();
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 200)
            {
                await Task.Delay(50);
            }
        }
    }
}
