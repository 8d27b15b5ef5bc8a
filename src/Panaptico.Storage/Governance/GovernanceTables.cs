using Azure.Data.Tables;
using Panaptico.Storage.Account;

namespace Panaptico.Storage.Governance;

/// <summary>The governance tables: one partition per task, plans with their members, the dependency adjacency, open gates.</summary>
public sealed class GovernanceTables(TableServiceClient service, StorageNames names)
{
    public GovernanceTables(StorageAccount storage, StorageNames names)
        : this(storage.Tables, names)
    {
    }

    public TableClient Tasks { get; } = service.GetTableClient(names.Table("govtasks"));

    public TableClient Plans { get; } = service.GetTableClient(names.Table("govplans"));

    /// <summary>Partition = upstream task id, row = downstream task id.</summary>
    public TableClient Edges { get; } = service.GetTableClient(names.Table("govedges"));

    public TableClient OpenGates { get; } = service.GetTableClient(names.Table("govopengates"));

    /// <summary>Partition <c>pending</c>, row = a task id whose partition may hold outbox rows not yet dispatched.</summary>
    public TableClient PendingOutbox { get; } = service.GetTableClient(names.Table("govoutbox"));

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(
            Tasks.CreateIfNotExistsAsync(cancellationToken),
            Plans.CreateIfNotExistsAsync(cancellationToken),
            Edges.CreateIfNotExistsAsync(cancellationToken),
            OpenGates.CreateIfNotExistsAsync(cancellationToken),
            PendingOutbox.CreateIfNotExistsAsync(cancellationToken));
}
