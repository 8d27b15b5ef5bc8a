using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Functions;
using Panaptico.Functions.Remediation;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Account;
using Panaptico.Storage.Azurite;
using Panaptico.Storage.Remediation;

namespace Panaptico.Bench;

/// <summary>
/// The Durable Task settings a remediation bench runs with (<c>extensions.durableTask</c>, as host.json names them);
/// every one can be given on the command line. Defaults are host.json's.
/// </summary>
internal sealed record DurableBenchSettings(
    int PartitionCount = 4,
    int MaxConcurrentActivityFunctions = 10,
    int MaxConcurrentOrchestratorFunctions = 10,
    int ControlQueueBatchSize = 32,
    double MaxQueuePollingSeconds = 30,
    int ScanParallelism = 16)
{
    public static DurableBenchSettings Parse(string[] args, DurableBenchSettings defaults) => new(
        Int(args, "--partitions", defaults.PartitionCount),
        Int(args, "--activities", defaults.MaxConcurrentActivityFunctions),
        Int(args, "--orchestrators", defaults.MaxConcurrentOrchestratorFunctions),
        Int(args, "--batch", defaults.ControlQueueBatchSize),
        Double(args, "--poll", defaults.MaxQueuePollingSeconds),
        Int(args, "--scan-parallelism", defaults.ScanParallelism));

    public static int Int(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static double Double(string[] args, string name, double fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? double.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public override string ToString() =>
        $"partitionCount {PartitionCount}, maxConcurrentActivityFunctions {MaxConcurrentActivityFunctions}, " +
        $"maxConcurrentOrchestratorFunctions {MaxConcurrentOrchestratorFunctions}, controlQueueBatchSize {ControlQueueBatchSize}, " +
        $"maxQueuePollingInterval {MaxQueuePollingSeconds.ToString(CultureInfo.InvariantCulture)} s";
}

/// <summary>
/// One instance of the function app for the remediation benches: <see cref="FunctionApp.BuildStandalone"/> (Kestrel on
/// a loopback port, DTFx's TaskHubWorker over AzureStorageOrchestrationService) on the bench's Azurite, with the
/// governed account limited to containers named <c>bench-…</c>, timers that do not fire during a run, and two
/// observers put in through the app's <c>overrides</c>: the ledger (each append seen after it is stored, so a
/// <c>change.closed</c> is seen when the changes table already reads closed) and the connector (each write it executes).
/// Two instances given the same hub name share one task hub, the changes table and the ledger, as two app instances do.
/// </summary>
internal sealed class BenchFunctionApp : IAsyncDisposable
{
    public const string Prefix = "bench";
    public const string ContainerPrefix = Prefix + "-";

    private BenchFunctionApp(WebApplication app) => App = app;

    public WebApplication App { get; }
    public DurableTaskClient Client => App.Services.GetRequiredService<DurableTaskClient>();
    public ChangeIntake Intake => App.Services.GetRequiredService<ChangeIntake>();
    public GovernedAccount Account => App.Services.GetRequiredService<GovernedAccounts>().All.Single();

    public static async Task<BenchFunctionApp> StartAsync(
        string connectionString, string hubName, DurableBenchSettings durable, LedgerWatch ledger, ConnectorWrites writes)
    {
        var section = DurableTaskHostOptions.Section;
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["Functions:HostId"] = "benchhost",
            ["Panaptico:StoragePrefix"] = Prefix,
            // Never within a run: the bench detects itself, as the scan or the event path would.
            ["ViolationScanSchedule"] = "0 0 0 1 1 *",
            ["HeartbeatSchedule"] = "0 0 0 1 1 *",
            ["Remediation:ScanParallelism"] = durable.ScanParallelism.ToString(CultureInfo.InvariantCulture),
            [$"{section}:hubName"] = hubName,
            [$"{section}:maxConcurrentActivityFunctions"] = durable.MaxConcurrentActivityFunctions.ToString(CultureInfo.InvariantCulture),
            [$"{section}:maxConcurrentOrchestratorFunctions"] = durable.MaxConcurrentOrchestratorFunctions.ToString(CultureInfo.InvariantCulture),
            [$"{section}:storageProvider:partitionCount"] = durable.PartitionCount.ToString(CultureInfo.InvariantCulture),
            [$"{section}:storageProvider:controlQueueBatchSize"] = durable.ControlQueueBatchSize.ToString(CultureInfo.InvariantCulture),
            [$"{section}:storageProvider:maxQueuePollingInterval"] = TimeSpan.FromSeconds(durable.MaxQueuePollingSeconds).ToString("c", CultureInfo.InvariantCulture),
            // The app's own queue triggers (governance follow-ups) have nothing to do here: poll them rarely.
            [$"{QueueHostOptions.Section}:maxPollingInterval"] = "00:01:00",
        };
        var app = FunctionApp.BuildStandalone([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // The development checkpoint key's notice, once per instance: not the bench's concern.
            builder.Logging.AddFilter("Panaptico.Functions.Audit", LogLevel.Error);
            builder.Configuration.AddInMemoryCollection(settings);
        }, services =>
        {
            services.RemoveAll<ILedgerAppender>();
            services.AddSingleton<ILedgerAppender>(sp => new WatchedLedger(sp.GetRequiredService<Panaptico.Storage.Ledger.TableLedger>(), ledger));
            services.RemoveAll<GovernedAccounts>();
            services.AddSingleton(sp => new GovernedAccounts([new GovernedAccount(
                new CountingConnector(new AzureStorageConnector(sp.GetRequiredService<StorageAccount>().Blobs, new Dictionary<string, string>(), TimeProvider.System), writes),
                ContainerPrefix, IncludeBlobService: false)]));
        });
        await app.StartAsync();
        return new BenchFunctionApp(app);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Every ledger append the apps make, as stored: the record each entry got, and a signal per closed change.</summary>
internal sealed class LedgerWatch
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _closed = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closedCount;

    public int Target { get; set; } = int.MaxValue;
    public int ClosedCount => Volatile.Read(ref _closedCount);
    public Task AllClosed => _all.Task;

    /// <summary>Appends per entry id: more than one means an activity ran again (the ledger returns the first record).</summary>
    public ConcurrentDictionary<string, int> AppendsPerEntryId { get; } = new(StringComparer.Ordinal);

    public Task ClosedAsync(string change) => Signal(change).Task;

    public void Appended(LedgerEntry entry)
    {
        if (entry.EntryId is { } id)
        {
            AppendsPerEntryId.AddOrUpdate(id, 1, (_, n) => n + 1);
        }
        if (entry.Kind == "change.closed" && Signal(entry.Subject).TrySetResult() && Interlocked.Increment(ref _closedCount) >= Target)
        {
            _all.TrySetResult();
        }
    }

    private TaskCompletionSource Signal(string change) =>
        _closed.GetOrAdd(change, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

internal sealed class WatchedLedger(ILedgerAppender inner, LedgerWatch watch) : ILedgerAppender
{
    public async Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
    {
        var record = await inner.AppendAsync(entry, cancellationToken);
        watch.Appended(entry);
        return record;
    }
}

/// <summary>The writes the connector executed, per asset (across every app instance given the same object).</summary>
internal sealed class ConnectorWrites
{
    public ConcurrentDictionary<AssetId, int> PerAsset { get; } = new();
}

/// <summary>The real connector, counting the writes it executes.</summary>
internal sealed class CountingConnector(IStorageAccountConnector inner, ConnectorWrites writes) : IStorageAccountConnector
{
    public string Account => inner.Account;

    public CloudProvider Provider => inner.Provider;

    public bool Serves(AssetId asset) => inner.Serves(asset);

    public Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken) =>
        inner.ReadAccountAsync(containerPrefix, cancellationToken);

    public Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken) => inner.ReadAssetAsync(asset, cancellationToken);

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        await inner.ExecuteAsync(operation, cancellationToken);
        writes.PerAsset.AddOrUpdate(operation.Asset, 1, (_, n) => n + 1);
    }
}

/// <summary>
/// Counts every HTTP request this process sends to storage, whoever's client sends it (the app's, the bench's, and
/// DTFx's own, which the app cannot add a pipeline policy to): an <see cref="ActivityListener"/> on
/// <c>System.Net.Http</c>, which sees each request the runtime's HTTP stack sends (each retry too), classified by the
/// path's first segment: the task hub's queues, tables and blobs (names starting with the hub name), entity-group
/// transactions (<c>$batch</c>: the history's and the changes table's, which the path does not tell apart), or the app's.
/// </summary>
internal sealed class StorageRequests : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly string _hub;
    private readonly long[] _counts = new long[5];
    private readonly ConcurrentDictionary<string, long>? _detail =
        Environment.GetEnvironmentVariable("PANAPTICO_BENCH_DETAIL") == "1" ? new(StringComparer.Ordinal) : null;

    public StorageRequests(string hubName)
    {
        _hub = hubName;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = Count,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public Snapshot Now => new(
        Interlocked.Read(ref _counts[0]), Interlocked.Read(ref _counts[1]), Interlocked.Read(ref _counts[2]),
        Interlocked.Read(ref _counts[3]), Interlocked.Read(ref _counts[4]));

    public void Dispose() => _listener.Dispose();

    private void Count(Activity activity)
    {
        if (activity.GetTagItem("url.full") is not string url || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return;
        }
        // Azurite: /devstoreaccount1/<queue|container|table(...)|$batch>/...
        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var resource = segments.Length > 1 ? segments[1] : "";
        var slot = resource.StartsWith("$batch", StringComparison.Ordinal) ? 3
            : !resource.StartsWith(_hub, StringComparison.OrdinalIgnoreCase) ? 4
            : resource.Contains("-control-", StringComparison.Ordinal) || resource.EndsWith("-workitems", StringComparison.Ordinal) ? 0
            : resource.Contains('-', StringComparison.Ordinal) ? 2
            : 1;
        Interlocked.Increment(ref _counts[slot]);
        _detail?.AddOrUpdate($"{activity.GetTagItem("http.request.method")} {resource.Split('(')[0]}", 1, (_, n) => n + 1);
    }

    /// <summary>With PANAPTICO_BENCH_DETAIL=1: requests by method and resource (queue, container, table), most first.</summary>
    public void PrintDetail()
    {
        foreach (var (key, count) in (_detail ?? []).OrderByDescending(d => d.Value).Take(30))
        {
            Console.WriteLine($"    {count,8} {key}");
        }
    }

    public readonly record struct Snapshot(long HubQueue, long HubTable, long HubBlob, long Batch, long App)
    {
        public long Total => HubQueue + HubTable + HubBlob + Batch + App;

        public static Snapshot operator -(Snapshot a, Snapshot b) =>
            new(a.HubQueue - b.HubQueue, a.HubTable - b.HubTable, a.HubBlob - b.HubBlob, a.Batch - b.Batch, a.App - b.App);

        public string Describe(double per) => string.Create(CultureInfo.InvariantCulture,
            $"{Total / per:F1} (task hub: queues {HubQueue / per:F1}, tables {HubTable / per:F1}, blobs {HubBlob / per:F1}; entity-group batches {Batch / per:F1}; app's tables, blobs and queues {App / per:F1})");
    }
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
