using System.Collections.Immutable;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;

namespace Panaptico.Storage.Governance;

/// <summary>The side effects of one task write: its ledger entries and notifications.</summary>
public sealed record TaskEffects(ImmutableArray<LedgerEntry> Ledger, ImmutableArray<Notification> Notifications)
{
    public bool IsEmpty => Ledger.IsDefaultOrEmpty && Notifications.IsDefaultOrEmpty;
}

/// <summary>An outbox row of a task partition: a ledger entry or notification committed with the write that decided it.</summary>
public sealed record TaskOutboxRow(string TaskId, string RowKey, string Kind, string Body);

/// <summary>
/// The task partitions' outbox: a write commits its ledger entries and notifications as rows of the task's partition,
/// in the task's own transaction, each stamped with an id derived from the task, the version written and its place
/// (<c>TASK-0412/v7/2</c>: <see cref="LedgerEntry.EntryId"/>, <see cref="Notification.NotificationId"/>). Dispatching
/// appends and sends them in row order and deletes the rows. Anyone may dispatch rows at any time (the writer right
/// after its commit, the task's next writer, an activity's retry, the write's durable follow-up): the ledger and the
/// notifier de-duplicate by id, so a row dispatched twice lands once, and no claim, lease or look-up is needed.
/// </summary>
public sealed class TaskOutbox(GovernanceTables tables, ILedgerAppender ledger, INotifier notifier)
{
    public const string LedgerKind = "ledger";
    public const string NotificationKind = "notification";

    internal const string RowPrefix = "outbox-";
    private const string KindProperty = "Kind";

    private readonly TableClient _tasks = tables.Tasks;

    /// <summary>Appends and sends <paramref name="rows"/> in row order, then deletes them.</summary>
    public async Task DispatchAsync(IReadOnlyList<TaskOutboxRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        var ordered = rows.DistinctBy(r => (r.TaskId, r.RowKey)).OrderBy(r => r.TaskId, StringComparer.Ordinal).ThenBy(r => r.RowKey, StringComparer.Ordinal).ToList();
        var ledgerRows = ordered.Where(r => r.Kind == LedgerKind).ToList();
        // The ledger queues appends in call order, so starting them in row order keeps the decisions' order.
        await Task.WhenAll(ledgerRows.Select(r => ledger.AppendAsync(GovernanceJson.Deserialize<LedgerEntry>(r.Body), cancellationToken)).ToList());
        foreach (var row in ordered.Where(r => r.Kind == NotificationKind))
        {
            await notifier.NotifyAsync(GovernanceJson.Deserialize<Notification>(row.Body), cancellationToken);
        }

        await DeleteAsync(ordered, cancellationToken);
    }

    /// <summary>Dispatches whatever the task's partition still holds (what a stopped writer left); returns how many rows.</summary>
    public async Task<int> DispatchPendingAsync(string taskId, CancellationToken cancellationToken)
    {
        var pending = await PendingAsync(taskId, cancellationToken);
        await DispatchAsync(pending, cancellationToken);
        return pending.Count;
    }

    /// <summary>The task's outbox rows not yet dispatched, in commit order.</summary>
    public async Task<IReadOnlyList<TaskOutboxRow>> PendingAsync(string taskId, CancellationToken cancellationToken)
    {
        var rows = new List<TaskOutboxRow>();
        if (!GovernanceKeys.IsValid(taskId))
        {
            return rows;
        }

        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {taskId} and RowKey ge {RowPrefix} and RowKey lt {RowPrefix[..^1] + "."}");
        await foreach (var entity in _tasks.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(Row(entity));
        }

        return rows;
    }

    /// <summary>The id of the <paramref name="index"/>th effect of the write of <paramref name="version"/>.</summary>
    public static string EffectId(string taskId, long version, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{taskId}/v{version}/{index}");

    internal static bool IsOutboxRow(string rowKey) => rowKey.StartsWith(RowPrefix, StringComparison.Ordinal);

    /// <summary>The rows a write at <paramref name="version"/> commits, each effect carrying its id.</summary>
    internal static List<TaskOutboxRow> Rows(string taskId, long version, TaskEffects? effects)
    {
        var rows = new List<TaskOutboxRow>();
        if (effects is null || effects.IsEmpty)
        {
            return rows;
        }

        var index = 0;
        foreach (var entry in effects.Ledger.IsDefault ? [] : effects.Ledger)
        {
            var id = EffectId(taskId, version, index);
            rows.Add(new TaskOutboxRow(taskId, RowKey(version, index++), LedgerKind, GovernanceJson.Serialize(entry with { EntryId = id })));
        }

        foreach (var notification in effects.Notifications.IsDefault ? [] : effects.Notifications)
        {
            var id = EffectId(taskId, version, index);
            rows.Add(new TaskOutboxRow(taskId, RowKey(version, index++), NotificationKind, GovernanceJson.Serialize(notification with { NotificationId = id })));
        }

        return rows;
    }

    internal static TableEntity Entity(TaskOutboxRow row)
    {
        var entity = TaskRows.Entity(row.TaskId, row.RowKey, row.Body);
        entity[KindProperty] = row.Kind;
        return entity;
    }

    internal static TaskOutboxRow Row(TableEntity entity) =>
        new(entity.PartitionKey, entity.RowKey, entity.GetString(KindProperty) ?? NotificationKind, TaskRows.Content(entity));

    private static string RowKey(long version, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{RowPrefix}{version:D19}-{index:D3}");

    private async Task DeleteAsync(IReadOnlyList<TaskOutboxRow> rows, CancellationToken cancellationToken)
    {
        foreach (var partition in rows.GroupBy(r => r.TaskId, StringComparer.Ordinal))
        {
            foreach (var chunk in partition.Chunk(TaskRepository.MaxRowsPerSave))
            {
                try
                {
                    await _tasks.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(r.TaskId, r.RowKey), ETag.All)), cancellationToken);
                }
                catch (TableTransactionFailedException e) when (e.Status == 404)
                {
                    // Another dispatcher deleted some of them first: delete the rest one by one.
                    foreach (var row in chunk)
                    {
                        await DeleteRowAsync(row, cancellationToken);
                    }
                }
            }
        }
    }

    private async Task DeleteRowAsync(TaskOutboxRow row, CancellationToken cancellationToken)
    {
        try
        {
            await _tasks.DeleteEntityAsync(row.TaskId, row.RowKey, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }
}
