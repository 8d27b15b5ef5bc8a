using Azure.Data.Tables;
using Panaptico.Storage.Account;

namespace Panaptico.Storage.Governance;

/// <summary>The governance tables: one partition per task (with its outbox), plans with their members, the dependency adjacency.</summary>
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

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(
            Tasks.CreateIfNotExistsAsync(cancellationToken),
            Plans.CreateIfNotExistsAsync(cancellationToken),
            Edges.CreateIfNotExistsAsync(cancellationToken));
}
