using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Options;
using Panaptico.Storage.Account;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// <c>extensions.durableTask</c> of host.json, as Durable Functions reads it (app settings
/// <c>AzureFunctionsJobHost__extensions__durableTask__…</c> override it), for the standalone engine.
/// </summary>
public sealed class DurableTaskHostOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:durableTask";

    public string HubName { get; set; } = "panaptico";
    public int MaxConcurrentActivityFunctions { get; set; } = 10;
    public int MaxConcurrentOrchestratorFunctions { get; set; } = 10;
    public DurableStorageProviderOptions StorageProvider { get; set; } = new();
}

public sealed class DurableStorageProviderOptions
{
    public int PartitionCount { get; set; } = 4;
    public int ControlQueueBatchSize { get; set; } = 32;

    /// <summary>How long a crashed worker's activity stays invisible before another runs it again.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an instance owns a partition without renewing; a killed instance's partitions move after it.</summary>
    public TimeSpan PartitionLeaseInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan PartitionLeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The real Durable Task Framework for the standalone host: DTFx's <see cref="TaskHubWorker"/> (the dispatcher Durable
/// Functions runs on) over <see cref="AzureStorageOrchestrationService"/> (its Azure Storage backend) on the app's
/// storage account. Orchestrator and activity functions are registered through the Durable Task SDK's shims, so the
/// function code is the code Durable Functions runs in Azure.
/// </summary>
public sealed class DurableTaskEngine : IHostedService, IDisposable
{
    private readonly TaskHubWorker _worker;

    public DurableTaskEngine(
        FunctionIndex index, IServiceProvider services, IServiceScopeFactory scopes, IOptions<DurableTaskHostOptions> options,
        StorageAccount storage, ILoggerFactory loggers)
    {
        Service = CreateService(options.Value, storage, loggers);
        _worker = new TaskHubWorker(Service, loggers);
        var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), loggers);
        _worker.AddTaskOrchestrations([.. index.OfKind(TriggerKind.Orchestration).Select(f =>
            new Creator<TaskOrchestration>(f.Name, () => shims.CreateOrchestration(f.Name, new FunctionOrchestrator(f, services))))]);
        _worker.AddTaskActivities([.. index.OfKind(TriggerKind.Activity).Select(f =>
            new Creator<TaskActivity>(f.Name, () => shims.CreateActivity(f.Name, new FunctionActivity(f, scopes))))]);
    }

    public AzureStorageOrchestrationService Service { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Service.CreateIfNotExistsAsync();
        await _worker.StartAsync();
    }

    public Task StopAsync(CancellationToken cancellationToken) => _worker.StopAsync(isForced: true);

    public void Dispose()
    {
        _worker.Dispose();
        Service.Dispose();
    }

    private static AzureStorageOrchestrationService CreateService(DurableTaskHostOptions options, StorageAccount storage, ILoggerFactory loggers)
    {
        var provider = options.StorageProvider;
        return new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = storage.ConnectionString is { } connectionString
                ? new StorageAccountClientProvider(connectionString)
                : new StorageAccountClientProvider(storage.AccountName!, storage.Credential!),
            TaskHubName = options.HubName,
            PartitionCount = provider.PartitionCount,
            ControlQueueBatchSize = provider.ControlQueueBatchSize,
            WorkItemQueueVisibilityTimeout = provider.WorkItemQueueVisibilityTimeout,
            ControlQueueVisibilityTimeout = provider.ControlQueueVisibilityTimeout,
            MaxQueuePollingInterval = provider.MaxQueuePollingInterval,
            LeaseInterval = provider.PartitionLeaseInterval,
            LeaseRenewInterval = provider.PartitionLeaseRenewInterval,
            LeaseAcquireInterval = provider.PartitionLeaseRenewInterval,
            MaxConcurrentTaskActivityWorkItems = options.MaxConcurrentActivityFunctions,
            MaxConcurrentTaskOrchestrationWorkItems = options.MaxConcurrentOrchestratorFunctions,
            LoggerFactory = loggers,
        });
    }

    private sealed class Creator<T> : ObjectCreator<T>
    {
        private readonly Func<T> _create;

        public Creator(string name, Func<T> create)
        {
            Name = name;
            Version = string.Empty;
            _create = create;
        }

        public override T Create() => _create();
    }
}
