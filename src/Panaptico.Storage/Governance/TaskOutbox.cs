using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Ledger;

namespace Panaptico.Storage.Governance;

/// <summary>The side effects of one task write: its ledger entries and notifications, decided at <paramref name="At"/>.</summary>
public sealed record TaskEffects(ImmutableArray<LedgerEntry> Ledger, ImmutableArray<Notification> Notifications, DateTimeOffset At)
{
    public bool IsEmpty => Ledger.IsDefaultOrEmpty && Notifications.IsDefaultOrEmpty;
}

/// <summary>An outbox row of a task partition: a ledger entry or notification committed with the write that decided it.</summary>
public sealed record TaskOutboxRow(string TaskId, string RowKey, string Kind, string Body, DateTimeOffset CommittedAt, DateTimeOffset ClaimedAt, ETag ETag);

/// <summary>A test seam: runs between a write's commit and its dispatch (a throw there is a crash after the commit).</summary>
public sealed record TaskOutboxFaults(Func<string, Task> AfterCommit);

/// <summary>
/// The task partitions' transactional outbox. A write commits its ledger entries and notifications as rows of the
/// task's partition in the task's own transaction, then <see cref="DispatchAsync"/> appends, notifies and deletes them.
/// Rows whose writer stopped (claimed longer than <see cref="Lease"/> ago) are taken over at the task's next write or by
/// <see cref="SweepAsync"/>, which reads only the tasks of the pending index (a row per task marked before its commit).
/// A taken-over ledger entry is looked up by its <see cref="OutboxIdField"/> first, so it lands exactly once.
/// </summary>
public sealed class TaskOutbox(
    GovernanceTables tables, ILedgerAppender ledger, TableLedger records, INotifier notifier, TimeProvider time, TaskOutboxFaults? faults = null)
{
    public const string OutboxIdField = "outboxId";
    public const string LedgerKind = "ledger";
    public const string NotificationKind = "notification";

    /// <summary>How long rows belong to the writer that committed (or the dispatcher that claimed) them.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    /// <summary>Margin for ledger times against the outbox's commit time when looking for already-appended entries.</summary>
    public static readonly TimeSpan LedgerClockSkew = TimeSpan.FromMinutes(5);

    internal const string RowPrefix = "outbox-";
    private const string PendingPartition = "pending";
    private const string KindProperty = "Kind";
    private const string CommittedAtProperty = "CommittedAt";
    private const string ClaimedAtProperty = "ClaimedAt";
    private const string MarkedAtProperty = "MarkedAt";

    private readonly TableClient _tasks = tables.Tasks;
    private readonly TableClient _pending = tables.PendingOutbox;

    /// <summary>Marks the task as having pending rows; called before the commit that writes them. Returns the mark.</summary>
    public async Task<ETag> MarkAsync(string taskId, CancellationToken cancellationToken)
    {
        var response = await _pending.UpsertEntityAsync(
            new TableEntity(PendingPartition, taskId) { [MarkedAtProperty] = time.GetUtcNow() }, TableUpdateMode.Replace, cancellationToken);
        return response.Headers.ETag ?? default;
    }

    /// <summary>Dispatches the rows this writer just committed (no ledger look-up: nobody else had them), then clears its mark.</summary>
    public async Task DispatchAsync(string taskId, IReadOnlyList<TaskOutboxRow> committed, ETag mark, CancellationToken cancellationToken)
    {
        if (committed.Count == 0)
        {
            return;
        }

        if (faults is not null)
        {
            await faults.AfterCommit(taskId);
        }

        await SendAsync(committed, taken: false, cancellationToken);
        await SettleAsync(taskId, mark, cancellationToken);
    }

    /// <summary>Takes over and dispatches the task's rows whose lease ran out; returns how many rows it dispatched.</summary>
    public async Task<int> DispatchAbandonedAsync(string taskId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var abandoned = (await PendingAsync(taskId, cancellationToken)).Where(r => r.ClaimedAt <= now - Lease).ToList();
        if (abandoned.Count == 0)
        {
            return 0;
        }

        // Claim them all at once (one partition, one transaction): a rival dispatcher's claim makes this one fail.
        var claims = abandoned.Select(r =>
        {
            var entity = Entity(r.TaskId, r.RowKey, r.Kind, r.Body, r.CommittedAt);
            entity[ClaimedAtProperty] = now;
            return new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, r.ETag);
        });
        foreach (var chunk in claims.Chunk(TaskRepository.MaxRowsPerSave))
        {
            try
            {
                await _tasks.SubmitTransactionAsync(chunk, cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
            {
                return 0;
            }
        }

        await SendAsync(abandoned, taken: true, cancellationToken);
        await SettleAsync(taskId, null, cancellationToken);
        return abandoned.Count;
    }

    /// <summary>The timer's pass: every task of the pending index gets its abandoned rows dispatched.</summary>
    /// <returns>How many rows were dispatched.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var dispatched = 0;
        foreach (var id in await MarkedAsync(cancellationToken))
        {
            var count = await DispatchAbandonedAsync(id, cancellationToken);
            if (count == 0)
            {
                await SettleAsync(id, null, cancellationToken);
            }

            dispatched += count;
        }

        return dispatched;
    }

    /// <summary>The task's outbox rows not yet dispatched, in commit order.</summary>
    public async Task<IReadOnlyList<TaskOutboxRow>> PendingAsync(string taskId, CancellationToken cancellationToken)
    {
        var rows = new List<TaskOutboxRow>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {taskId} and RowKey ge {RowPrefix} and RowKey lt {RowPrefix[..^1] + "."}");
        await foreach (var entity in _tasks.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            rows.Add(Row(entity));
        }

        return rows;
    }

    /// <summary>The task ids the pending index holds.</summary>
    public async Task<IReadOnlyList<string>> MarkedAsync(CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await foreach (var entity in _pending.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {PendingPartition}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            ids.Add(entity.RowKey);
        }

        return ids;
    }

    /// <summary>The rows a write at <paramref name="version"/> commits; each ledger entry carries its outbox id.</summary>
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
            var key = RowKey(version, index++);
            var data = entry.Data?.DeepClone() as JsonObject ?? [];
            data[OutboxIdField] = string.Create(CultureInfo.InvariantCulture, $"{taskId}/{version}/{index - 1}/{effects.At.UtcTicks}");
            rows.Add(new TaskOutboxRow(taskId, key, LedgerKind, GovernanceJson.Serialize(entry with { Data = data }), effects.At, effects.At, default));
        }

        foreach (var notification in effects.Notifications.IsDefault ? [] : effects.Notifications)
        {
            rows.Add(new TaskOutboxRow(taskId, RowKey(version, index++), NotificationKind, GovernanceJson.Serialize(notification), effects.At, effects.At, default));
        }

        return rows;
    }

    internal static TableEntity Entity(TaskOutboxRow row) => Entity(row.TaskId, row.RowKey, row.Kind, row.Body, row.CommittedAt);

    private static TableEntity Entity(string taskId, string rowKey, string kind, string body, DateTimeOffset committedAt)
    {
        var entity = TaskRows.Entity(taskId, rowKey, body);
        entity[KindProperty] = kind;
        entity[CommittedAtProperty] = committedAt;
        entity[ClaimedAtProperty] = committedAt;
        return entity;
    }

    private static TaskOutboxRow Row(TableEntity entity) => new(
        entity.PartitionKey,
        entity.RowKey,
        entity.GetString(KindProperty) ?? NotificationKind,
        TaskRows.Content(entity),
        entity.GetDateTimeOffset(CommittedAtProperty) ?? DateTimeOffset.MinValue,
        entity.GetDateTimeOffset(ClaimedAtProperty) ?? DateTimeOffset.MinValue,
        entity.ETag);

    private static string RowKey(long version, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{RowPrefix}{version:D19}-{index:D3}");

    /// <summary>
    /// Ledger entries first, in row order (exactly once: taken-over rows are looked up in the ledger), deleted once
    /// appended; then each notification, its row deleted right after it is sent (a stop in between repeats only that one).
    /// </summary>
    private async Task SendAsync(IReadOnlyList<TaskOutboxRow> rows, bool taken, CancellationToken cancellationToken)
    {
        var ordered = rows.OrderBy(r => r.RowKey, StringComparer.Ordinal).ToList();
        var ledgerRows = ordered.Where(r => r.Kind == LedgerKind).ToList();
        var entries = ledgerRows.Select(r => GovernanceJson.Deserialize<LedgerEntry>(r.Body)).ToList();
        var appended = taken && entries.Count > 0
            ? await AppendedAsync(entries, ledgerRows.Min(r => r.CommittedAt) - LedgerClockSkew, cancellationToken)
            : [];
        // The ledger queues appends in call order, so starting them in row order keeps the decision's order.
        await Task.WhenAll(entries.Where(e => !appended.Contains(OutboxId(e)!)).Select(e => ledger.AppendAsync(e, cancellationToken)).ToList());
        await DeleteAsync(ledgerRows, cancellationToken);

        foreach (var row in ordered.Where(r => r.Kind == NotificationKind))
        {
            await notifier.NotifyAsync(GovernanceJson.Deserialize<Notification>(row.Body), cancellationToken);
            await DeleteAsync([row], cancellationToken);
        }
    }

    /// <summary>The outbox ids among <paramref name="entries"/> that the ledger already holds (one read of the recent range).</summary>
    private async Task<HashSet<string>> AppendedAsync(IReadOnlyList<LedgerEntry> entries, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var wanted = entries.Select(OutboxId).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var found = new HashSet<string>(StringComparer.Ordinal);
        if (await records.FindSeqRangeAsync(since, null, cancellationToken) is not { } seqs)
        {
            return found;
        }

        await foreach (var record in records.ReadRangeAsync(seqs.First, seqs.Last, cancellationToken))
        {
            if (OutboxId(record.Data) is { } id && wanted.Contains(id))
            {
                found.Add(id);
            }
        }

        return found;
    }

    private static string? OutboxId(LedgerEntry entry) => OutboxId(entry.Data);

    private static string? OutboxId(JsonObject? data) =>
        data?[OutboxIdField] is JsonValue value && value.TryGetValue<string>(out var id) ? id : null;

    private async Task DeleteAsync(IReadOnlyList<TaskOutboxRow> rows, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(TaskRepository.MaxRowsPerSave))
        {
            try
            {
                await _tasks.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(r.TaskId, r.RowKey), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // A rival dispatcher deleted some of them first: delete the rest one by one.
                foreach (var row in chunk)
                {
                    await DeleteRowAsync(row, cancellationToken);
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

    /// <summary>
    /// Removes the task's pending mark when it has no rows left and no writer marked it since: guarded by this writer's
    /// own mark, or (for a takeover) only once the mark is older than the lease, since a writer commits within it.
    /// </summary>
    private async Task SettleAsync(string taskId, ETag? mark, CancellationToken cancellationToken)
    {
        var etag = mark;
        if (etag is null)
        {
            var current = await _pending.GetEntityIfExistsAsync<TableEntity>(PendingPartition, taskId, cancellationToken: cancellationToken);
            if (!current.HasValue || current.Value!.GetDateTimeOffset(MarkedAtProperty) > time.GetUtcNow() - Lease)
            {
                return;
            }

            etag = current.Value.ETag;
        }

        if ((await PendingAsync(taskId, cancellationToken)).Count > 0)
        {
            return;
        }

        try
        {
            await _pending.DeleteEntityAsync(PendingPartition, taskId, etag.Value, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            // Marked again by a later writer (or already gone): that writer settles it.
        }
    }
}
