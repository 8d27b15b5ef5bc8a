using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

/// <summary>A task record as read, with what a guarded save needs: the task row's ETag and the rows it was read from.</summary>
public sealed record StoredTask(TaskRecord Record, ETag ETag, long Version)
{
    internal IReadOnlyDictionary<string, string> Rows { get; init; } = new Dictionary<string, string>();

    /// <summary>The outbox rows the write that returned this committed (empty for a read).</summary>
    public IReadOnlyList<TaskOutboxRow> Outbox { get; init; } = [];

    /// <summary>For a read: outbox rows earlier writes left undispatched (a writer stopped after its commit).</summary>
    public IReadOnlyList<TaskOutboxRow> Pending { get; init; } = [];
}

/// <summary>Only the task row (state, pending upstreams, seal): what dependency releases read and write.</summary>
public sealed record StoredTaskRow(GovernedTask Task, ETag ETag, long Version)
{
    /// <summary>The outbox rows the write that returned this committed (empty for a read).</summary>
    public IReadOnlyList<TaskOutboxRow> Outbox { get; init; } = [];
}

/// <summary>The task changed since it was read: nothing was written; re-read, decide again, retry.</summary>
public sealed class TaskConflictException(string taskId)
    : Exception($"{taskId} changed since it was read; nothing was written")
{
    public string TaskId { get; } = taskId;
}

public sealed class TaskExistsException(string taskId) : Exception($"task {taskId} already exists")
{
    public string TaskId { get; } = taskId;
}

public sealed class TaskTooLargeException(string taskId, string what)
    : Exception($"{taskId}: {what} exceeds what one Table storage transaction can hold")
{
    public string TaskId { get; } = taskId;
}

/// <summary>
/// Tasks on Table storage, one partition per task. A save writes the rows that changed, deletes those that went, and
/// replaces the task row with If-Match on the ETag it was read with, all in one entity-group transaction: a save that
/// lost a race writes nothing and throws <see cref="TaskConflictException"/>, so no update is ever lost.
/// </summary>
public sealed class TaskRepository(GovernanceTables tables)
{
    /// <summary>An entity-group transaction holds at most 100 operations.</summary>
    public const int MaxRowsPerSave = 100;

    private readonly TableClient _table = tables.Tasks;

    /// <summary>The task with every row of its partition, or null (also for an id no task can have).</summary>
    public async Task<StoredTask?> GetAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!GovernanceKeys.IsValid(taskId))
        {
            return null;
        }

        var rows = new Dictionary<string, string>(StringComparer.Ordinal);
        var pending = new List<TaskOutboxRow>();
        TableEntity? taskRow = null;
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {taskId}"), cancellationToken: cancellationToken))
        {
            if (TaskOutbox.IsOutboxRow(entity.RowKey))
            {
                pending.Add(TaskOutbox.Row(entity)); // not part of the record, and a save must never delete it
                continue;
            }

            rows[entity.RowKey] = TaskRows.Content(entity);
            if (entity.RowKey == TaskRows.TaskKey)
            {
                taskRow = entity;
            }
        }

        return taskRow is null
            ? null
            : new StoredTask(TaskRows.Read(rows), taskRow.ETag, VersionOf(taskRow)) { Rows = rows, Pending = pending };
    }

    /// <exception cref="TaskExistsException">A task with this id exists; nothing was written.</exception>
    public Task<StoredTask> CreateAsync(TaskRecord record, CancellationToken cancellationToken) =>
        CreateAsync(record, null, cancellationToken);

    /// <summary>Creates the task with <paramref name="effects"/> as outbox rows of the same transaction.</summary>
    /// <exception cref="TaskExistsException">A task with this id exists; nothing was written.</exception>
    public async Task<StoredTask> CreateAsync(TaskRecord record, TaskEffects? effects, CancellationToken cancellationToken)
    {
        GovernanceKeys.Check(record.Id);
        var rows = TaskRows.Layout(record);
        var actions = rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add, Entity(record.Id, r.Key, r.Value, version: 1))).ToList();
        var outbox = TaskOutbox.Rows(record.Id, 1, effects);
        actions.AddRange(outbox.Select(r => new TableTransactionAction(TableTransactionActionType.Add, TaskOutbox.Entity(r))));
        CheckSize(record.Id, actions.Count);
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            return new StoredTask(record, await NewETagAsync(record.Id, actions, response, cancellationToken), 1) { Rows = rows, Outbox = outbox };
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            throw new TaskExistsException(record.Id);
        }
    }

    /// <summary>Why <paramref name="record"/> cannot be created in one transaction; null when it can. Asked before anything is written.</summary>
    public static string? CannotCreate(TaskRecord record, TaskEffects? effects)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            CheckSize(record.Id, TaskRows.Layout(record).Count + TaskOutbox.Rows(record.Id, 1, effects).Count);
            return null;
        }
        catch (TaskTooLargeException e)
        {
            return e.Message;
        }
    }

    /// <summary>Writes <paramref name="next"/> over what <paramref name="stored"/> was read as, in one guarded transaction.</summary>
    /// <exception cref="TaskConflictException">The task changed since it was read; nothing was written.</exception>
    public Task<StoredTask> SaveAsync(StoredTask stored, TaskRecord next, CancellationToken cancellationToken) =>
        SaveAsync(stored, next, null, cancellationToken);

    /// <summary>Writes <paramref name="next"/> with <paramref name="effects"/> as outbox rows, in one guarded transaction.</summary>
    /// <exception cref="TaskConflictException">The task changed since it was read; nothing was written.</exception>
    public async Task<StoredTask> SaveAsync(StoredTask stored, TaskRecord next, TaskEffects? effects, CancellationToken cancellationToken)
    {
        if (next.Id != stored.Record.Id)
        {
            throw new ArgumentException($"cannot save {next.Id} over {stored.Record.Id}", nameof(next));
        }

        var id = next.Id;
        var version = stored.Version + 1;
        var rows = TaskRows.Layout(next);
        var actions = new List<TableTransactionAction>
        {
            new(TableTransactionActionType.UpdateReplace, Entity(id, TaskRows.TaskKey, rows[TaskRows.TaskKey], version), stored.ETag),
        };
        actions.AddRange(rows
            .Where(r => r.Key != TaskRows.TaskKey && (!stored.Rows.TryGetValue(r.Key, out var before) || before != r.Value))
            .Select(r => new TableTransactionAction(TableTransactionActionType.UpsertReplace, TaskRows.Entity(id, r.Key, r.Value))));
        actions.AddRange(stored.Rows.Keys
            .Where(key => !rows.ContainsKey(key))
            .Select(key => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, key), ETag.All)));
        var outbox = TaskOutbox.Rows(id, version, effects);
        actions.AddRange(outbox.Select(r => new TableTransactionAction(TableTransactionActionType.Add, TaskOutbox.Entity(r))));
        CheckSize(id, actions.Count);
        try
        {
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            return new StoredTask(next, await NewETagAsync(id, actions, response, cancellationToken), version) { Rows = rows, Outbox = outbox };
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            throw new TaskConflictException(id);
        }
    }

    public async Task<StoredTaskRow?> GetRowAsync(string taskId, CancellationToken cancellationToken)
    {
        if (!GovernanceKeys.IsValid(taskId))
        {
            return null;
        }

        var response = await _table.GetEntityIfExistsAsync<TableEntity>(taskId, TaskRows.TaskKey, cancellationToken: cancellationToken);
        return response.HasValue ? Row(response.Value!) : null;
    }

    /// <summary>The task rows of <paramref name="taskIds"/> that exist, in the order asked (point reads, in parallel).</summary>
    public async Task<IReadOnlyList<StoredTaskRow>> GetRowsAsync(IEnumerable<string> taskIds, CancellationToken cancellationToken)
    {
        var rows = await Task.WhenAll(taskIds.Distinct(StringComparer.Ordinal).Select(id => GetRowAsync(id, cancellationToken)));
        return [.. rows.OfType<StoredTaskRow>()];
    }

    /// <summary>Replaces only the task row, guarded by its ETag (a dependency release changes nothing else).</summary>
    /// <exception cref="TaskConflictException">The task changed since it was read; nothing was written.</exception>
    public Task<StoredTaskRow> SaveRowAsync(StoredTaskRow stored, GovernedTask next, CancellationToken cancellationToken) =>
        SaveRowAsync(stored, next, null, cancellationToken);

    /// <summary>Replaces only the task row, with <paramref name="effects"/> as outbox rows of the same transaction.</summary>
    /// <exception cref="TaskConflictException">The task changed since it was read; nothing was written.</exception>
    public async Task<StoredTaskRow> SaveRowAsync(StoredTaskRow stored, GovernedTask next, TaskEffects? effects, CancellationToken cancellationToken)
    {
        if (next.Id != stored.Task.Id)
        {
            throw new ArgumentException($"cannot save {next.Id} over {stored.Task.Id}", nameof(next));
        }

        var version = stored.Version + 1;
        var entity = Entity(next.Id, TaskRows.TaskKey, GovernanceJson.Serialize(next), version);
        var outbox = TaskOutbox.Rows(next.Id, version, effects);
        if (outbox.Count > 0)
        {
            List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, entity, stored.ETag)];
            actions.AddRange(outbox.Select(r => new TableTransactionAction(TableTransactionActionType.Add, TaskOutbox.Entity(r))));
            CheckSize(next.Id, actions.Count);
            try
            {
                var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
                return new StoredTaskRow(next, await NewETagAsync(next.Id, actions, response, cancellationToken), version) { Outbox = outbox };
            }
            catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
            {
                throw new TaskConflictException(next.Id);
            }
        }

        try
        {
            var response = await _table.UpdateEntityAsync(entity, stored.ETag, TableUpdateMode.Replace, cancellationToken);
            return new StoredTaskRow(next, response.Headers.ETag ?? (await GetRowAsync(next.Id, cancellationToken))!.ETag, version);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            throw new TaskConflictException(next.Id);
        }
    }

    /// <summary>Removes a task's partition; only to undo a creation whose other half failed.</summary>
    public async Task DeleteAsync(string taskId, CancellationToken cancellationToken)
    {
        GovernanceKeys.Check(taskId);
        var keys = new List<string>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {taskId}"), select: ["RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(entity.RowKey);
        }

        foreach (var chunk in keys.Chunk(MaxRowsPerSave))
        {
            await _table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(taskId, k), ETag.All)), cancellationToken);
        }
    }

    private static StoredTaskRow Row(TableEntity entity) =>
        new(GovernanceJson.Deserialize<GovernedTask>(TaskRows.Content(entity)), entity.ETag, VersionOf(entity));

    private static long VersionOf(TableEntity entity) => entity.GetInt64(TaskRows.VersionProperty) ?? 0;

    private static TableEntity Entity(string taskId, string rowKey, string content, long version)
    {
        var entity = TaskRows.Entity(taskId, rowKey, content);
        if (rowKey == TaskRows.TaskKey)
        {
            entity[TaskRows.VersionProperty] = version;
        }

        return entity;
    }

    private static void CheckSize(string taskId, int operations)
    {
        if (operations > MaxRowsPerSave)
        {
            throw new TaskTooLargeException(taskId, $"a change of {operations} rows");
        }
    }

    /// <summary>The task row's new ETag from the transaction's answer (the first action is always the task row).</summary>
    private async Task<ETag> NewETagAsync(string taskId, List<TableTransactionAction> actions, Response<IReadOnlyList<Response>> response, CancellationToken cancellationToken)
    {
        var index = actions.FindIndex(a => a.Entity.RowKey == TaskRows.TaskKey);
        if (index >= 0 && index < response.Value.Count && response.Value[index].Headers.ETag is { } etag)
        {
            return etag;
        }

        return (await GetRowAsync(taskId, cancellationToken))?.ETag ?? throw new TaskConflictException(taskId);
    }
}
