using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

/// <summary>
/// The tasks whose approval gate has an open seat, with the earliest time one expires, so the expiry sweep reads
/// only what is due instead of every task.
/// </summary>
/// <remarks>
/// The index lives in another table than the tasks, so it cannot share their transaction. It stays safe by being
/// early rather than late: before a save that leaves a seat open, <see cref="MarkAsync"/> lowers the row's time to the
/// new expiry (never raises it); after the save, <see cref="SyncAsync"/> writes the exact time tagged with the task's
/// version, and an older version never overwrites a newer one. A row that is too early or no longer needed costs the
/// sweep one read, after which the sweep syncs it.
/// </remarks>
public sealed class OpenGateIndex(GovernanceTables tables)
{
    private const string Partition = "open";
    private const string NextExpiryProperty = "NextExpiry";
    private const string VersionProperty = "TaskVersion";

    private readonly TableClient _table = tables.OpenGates;

    /// <summary>When the sweep must next look at this task: the earliest expiry of an open seat, or null.</summary>
    public static DateTimeOffset? NextExpiryOf(TaskRecord record) =>
        record.Task.IsTerminal || record.Approvals is not { State: ApprovalGateState.Open } gate
            ? null
            : gate.Seats.Where(s => s.State == SeatState.Open && s.ExpiresAt is not null).Min(s => s.ExpiresAt);

    /// <summary>Before a save: make sure the sweep looks at the task no later than <paramref name="expiresAt"/>.</summary>
    public async Task MarkAsync(string taskId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        while (true)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, taskId, cancellationToken: cancellationToken);
            try
            {
                if (!row.HasValue)
                {
                    await _table.AddEntityAsync(new TableEntity(Partition, taskId) { [NextExpiryProperty] = expiresAt, [VersionProperty] = -1L }, cancellationToken);
                }
                else if (row.Value!.GetDateTimeOffset(NextExpiryProperty) is not { } current || current > expiresAt)
                {
                    var entity = row.Value;
                    entity[NextExpiryProperty] = expiresAt;
                    await _table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone else moved the row; look again.
            }
        }
    }

    /// <summary>After a save (or a sweep) of <paramref name="version"/>: the exact next expiry, or no row when none.</summary>
    public async Task SyncAsync(string taskId, long version, DateTimeOffset? nextExpiry, CancellationToken cancellationToken)
    {
        while (true)
        {
            var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, taskId, cancellationToken: cancellationToken);
            if (row.HasValue && (row.Value!.GetInt64(VersionProperty) ?? -1) > version)
            {
                return;
            }

            try
            {
                if (nextExpiry is not { } at)
                {
                    if (row.HasValue)
                    {
                        await _table.DeleteEntityAsync(Partition, taskId, row.Value!.ETag, cancellationToken);
                    }
                }
                else if (!row.HasValue)
                {
                    await _table.AddEntityAsync(new TableEntity(Partition, taskId) { [NextExpiryProperty] = at, [VersionProperty] = version }, cancellationToken);
                }
                else
                {
                    var entity = new TableEntity(Partition, taskId) { [NextExpiryProperty] = at, [VersionProperty] = version };
                    await _table.UpdateEntityAsync(entity, row.Value!.ETag, TableUpdateMode.Replace, cancellationToken);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                // Someone else moved the row; look again.
            }
        }
    }

    /// <summary>The tasks with a seat due by <paramref name="now"/>, earliest first.</summary>
    public async Task<IReadOnlyList<string>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var due = new List<(string Id, DateTimeOffset At)>();
        await foreach (var row in _table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and NextExpiry le {now}"), cancellationToken: cancellationToken))
        {
            due.Add((row.RowKey, row.GetDateTimeOffset(NextExpiryProperty) ?? now));
        }

        return [.. due.OrderBy(d => d.At).Select(d => d.Id)];
    }

    /// <summary>Every indexed task with its next expiry (for views and tests).</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> AllAsync(CancellationToken cancellationToken)
    {
        var all = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: cancellationToken))
        {
            all[row.RowKey] = row.GetDateTimeOffset(NextExpiryProperty) ?? DateTimeOffset.MinValue;
        }

        return all;
    }
}
