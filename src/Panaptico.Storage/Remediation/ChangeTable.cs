using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

public enum OutboxKind
{
    Ledger,
    Notification,
    Message,
}

/// <summary>Something a transition must send once it has committed: written in the same transaction as the state.</summary>
public sealed record OutboxItem(OutboxKind Kind, string Body, TimeSpan Delay = default);

/// <summary>
/// A stored outbox row of the transition that reached <see cref="Version"/>. <paramref name="Claimant"/> is the chain
/// instance dispatching it since <paramref name="ClaimedAt"/>; <paramref name="Attempt"/> counts dispatchers (above 1,
/// an earlier one may have got part of the way); <paramref name="CausedBy"/> is the queue message whose step committed
/// it (empty for decisions and openings).
/// </summary>
public sealed record OutboxRow(
    string RowKey,
    OutboxKind Kind,
    string Body,
    TimeSpan Delay,
    DateTimeOffset CommittedAt,
    string Claimant,
    DateTimeOffset ClaimedAt,
    int Attempt,
    string CausedBy,
    ETag ETag)
{
    public int Version => int.Parse(RowKey.AsSpan(2, 6), CultureInfo.InvariantCulture);
}

/// <summary>A write step (fix, restore, revert) being run by the queue message <paramref name="MessageId"/>.</summary>
public sealed record StepClaim(ChainStep Step, string MessageId, DateTimeOffset At);

/// <summary>A change as loaded for a transition: its state row (and ETag), a running write step, its undispatched outbox.</summary>
public sealed record StoredChange(ChangeState State, ETag ETag, StepClaim? Claim, IReadOnlyList<OutboxRow> Outbox);

/// <summary>A transition as committed: the state row's new ETag (null if the service did not say) and its outbox rows as stored.</summary>
public sealed record CommittedTransition(ETag? StateETag, IReadOnlyList<OutboxRow> Outbox);

/// <summary>A change and its full history, for reading.</summary>
public sealed record ChangeView(ChangeState State, IReadOnlyList<ChainHistoryEntry> History);

/// <summary>One line of the change list, read from the state rows' columns.</summary>
public sealed record ChangeSummary(
    ChangeId Id,
    ChangeStage Stage,
    string PatternId,
    string Asset,
    string Severity,
    bool Production,
    string Owner,
    DateTimeOffset Detected,
    DateTimeOffset UpdatedAt);

/// <summary>Another writer moved the change first (the state row's ETag changed, or the partition exists): re-read and re-decide.</summary>
public sealed class ChangeConflictException(ChangeId change, int status, Exception inner)
    : Exception($"{change} was changed concurrently ({status})", inner)
{
    public ChangeId Change { get; } = change;
}

/// <summary>
/// The changes table. One partition per change (the partition key is the change id):
/// <list type="bullet">
/// <item><c>state</c>: the serialized <see cref="ChangeState"/> plus list columns, and the claim of a running write step;</item>
/// <item><c>h-NNNNNN</c>: append-only history, one row per history entry, by sequence;</item>
/// <item><c>o-VVVVVV-II</c>: the outbox of the transition that reached version V, deleted once dispatched.</item>
/// </list>
/// A transition replaces the state row (If-Match its ETag) and adds its history and outbox rows in one entity-group
/// transaction, so a change never shows a state without the history and the sends that go with it.
/// </summary>
public sealed class ChangeTable(TableClient table)
{
    public const string StateRow = "state";

    // A string property holds 64 KiB (32 Ki UTF-16 chars); a state larger than that spreads over numbered properties.
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 30;

    public TableClient Client => table;

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>The state row and pending outbox rows, in one query; null when the change does not exist.</summary>
    public async Task<StoredChange?> LoadAsync(ChangeId id, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {id.ToString()} and (RowKey eq {StateRow} or (RowKey ge {"o-"} and RowKey lt {"o."}))");
        TableEntity? state = null;
        var outbox = new List<OutboxRow>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == StateRow)
            {
                state = row;
            }
            else
            {
                outbox.Add(ReadOutbox(row));
            }
        }
        return state is null ? null : new StoredChange(ReadState(state), state.ETag, ReadClaim(state), outbox);
    }

    /// <summary>The change and its history; null when it does not exist.</summary>
    public async Task<ChangeView?> ViewAsync(ChangeId id, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {id.ToString()} and (RowKey eq {StateRow} or (RowKey ge {"h-"} and RowKey lt {"h."}))");
        ChangeState? state = null;
        var history = new List<ChainHistoryEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (row.RowKey == StateRow)
            {
                state = ReadState(row);
            }
            else
            {
                history.Add(new ChainHistoryEntry(
                    int.Parse(row.RowKey[2..], CultureInfo.InvariantCulture),
                    row.GetDateTimeOffset("At")!.Value,
                    row.GetString("Event"),
                    Enum.Parse<ChangeStage>(row.GetString("From")),
                    Enum.Parse<ChangeStage>(row.GetString("To")),
                    row.GetString("Actor"),
                    row.GetString("Detail")));
            }
        }
        return state is null ? null : new ChangeView(state, history);
    }

    /// <summary>Every change, newest first, from the state rows' list columns.</summary>
    public async Task<IReadOnlyList<ChangeSummary>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var summaries = new List<ChangeSummary>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {StateRow}");
        string[] columns = ["PartitionKey", "Stage", "Pattern", "Asset", "Severity", "Production", "Owner", "Detected", "UpdatedAt"];
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            summaries.Add(new ChangeSummary(
                ChangeId.Parse(row.PartitionKey),
                Enum.Parse<ChangeStage>(row.GetString("Stage")),
                row.GetString("Pattern"),
                row.GetString("Asset"),
                row.GetString("Severity"),
                row.GetBoolean("Production") ?? false,
                row.GetString("Owner"),
                row.GetDateTimeOffset("Detected")!.Value,
                row.GetDateTimeOffset("UpdatedAt")!.Value));
        }
        return [.. summaries.OrderByDescending(s => s.Id.Day).ThenByDescending(s => s.Id.Sequence).Take(max)];
    }

    /// <summary>Every undispatched outbox row of every change (without its body), for a sweep to judge.</summary>
    public async Task<IReadOnlyList<(ChangeId Change, OutboxRow Row)>> PendingOutboxAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(ChangeId, OutboxRow)>();
        var filter = TableClient.CreateQueryFilter($"RowKey ge {"o-"} and RowKey lt {"o."}");
        string[] columns = ["PartitionKey", "RowKey", "Kind", "DelayMs", "CommittedAt", "Claimant", "ClaimedAt", "Attempt", "CausedBy"];
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            if (ChangeId.TryParse(row.PartitionKey, out var id))
            {
                pending.Add((id.Value, ReadOutbox(row)));
            }
        }
        return pending;
    }

    /// <summary>
    /// Writes a transition: the new state (added when <paramref name="ifMatch"/> is null, else replaced If-Match),
    /// its history rows and its outbox rows, claimed by <paramref name="claimant"/>, in one transaction; and in the same
    /// transaction deletes <paramref name="settled"/>, earlier outbox rows known to be dispatched.
    /// </summary>
    /// <returns>The outbox rows as stored, with their ETags.</returns>
    /// <exception cref="ChangeConflictException">The state row moved since it was read, the change already exists, or a settled row changed.</exception>
    public async Task<IReadOnlyList<OutboxRow>> CommitAsync(
        ETag? ifMatch,
        ChangeState state,
        IReadOnlyList<ChainHistoryEntry> history,
        IReadOnlyList<OutboxItem> outbox,
        string claimant,
        DateTimeOffset now,
        CancellationToken cancellationToken,
        string causedBy = "",
        IReadOnlyList<OutboxRow>? settled = null) =>
        (await CommitTransitionAsync(ifMatch, state, history, outbox, claimant, now, causedBy, settled, cancellationToken)).Outbox;

    /// <summary>As <see cref="CommitAsync"/>, also returning the state row's new ETag, so the next write need not re-read it.</summary>
    /// <exception cref="ChangeConflictException">The state row moved since it was read, the change already exists, or a settled row changed.</exception>
    public async Task<CommittedTransition> CommitTransitionAsync(
        ETag? ifMatch,
        ChangeState state,
        IReadOnlyList<ChainHistoryEntry> history,
        IReadOnlyList<OutboxItem> outbox,
        string claimant,
        DateTimeOffset now,
        string causedBy,
        IReadOnlyList<OutboxRow>? settled,
        CancellationToken cancellationToken)
    {
        var id = state.Id.ToString();
        var actions = new List<TableTransactionAction>(1 + history.Count + outbox.Count)
        {
            ifMatch is { } etag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, StateEntity(state, now), etag)
                : new TableTransactionAction(TableTransactionActionType.Add, StateEntity(state, now)),
        };
        foreach (var entry in history)
        {
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(id, HistoryKey(entry.Sequence))
            {
                ["At"] = entry.At,
                ["Event"] = entry.Event,
                ["From"] = entry.From.ToString(),
                ["To"] = entry.To.ToString(),
                ["Actor"] = entry.Actor,
                ["Detail"] = entry.Detail,
            }));
        }
        var rows = new List<OutboxRow>(outbox.Count);
        for (var i = 0; i < outbox.Count; i++)
        {
            var item = outbox[i];
            var row = new OutboxRow($"o-{state.Version:D6}-{i:D2}", item.Kind, item.Body, item.Delay, now, claimant, now, 1, causedBy, default);
            rows.Add(row);
            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, OutboxEntity(id, row)));
        }
        actions.AddRange((settled ?? []).Select(r =>
            new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id, r.RowKey), r.ETag)));

        Response<IReadOnlyList<Response>> response;
        try
        {
            response = await table.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412 or 404)
        {
            throw new ChangeConflictException(state.Id, e.Status, e);
        }
        var first = 1 + history.Count;
        return new CommittedTransition(
            response.Value[0].Headers.ETag,
            [.. rows.Select((r, i) => r with { ETag = response.Value[first + i].Headers.ETag ?? ETag.All })]);
    }

    /// <summary>Marks a write step as run by one queue message, If-Match the state row; returns the new ETag.</summary>
    /// <exception cref="ChangeConflictException">The state row moved since it was read.</exception>
    public async Task<ETag> ClaimStepAsync(ChangeId id, ETag ifMatch, StepClaim claim, CancellationToken cancellationToken)
    {
        try
        {
            var response = await table.UpdateEntityAsync(new TableEntity(id.ToString(), StateRow)
            {
                ["StepClaim"] = $"{claim.Step}|{claim.MessageId}",
                ["StepClaimedAt"] = claim.At,
            }, ifMatch, TableUpdateMode.Merge, cancellationToken);
            return response.Headers.ETag ?? ETag.All;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            throw new ChangeConflictException(id, e.Status, e);
        }
    }

    /// <summary>Takes over outbox rows (If-Match each), all or none; null when another dispatcher got there first.</summary>
    public async Task<IReadOnlyList<OutboxRow>?> ClaimOutboxAsync(
        ChangeId id, IReadOnlyList<OutboxRow> rows, string claimant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var claimed = rows.Select(r => r with { Claimant = claimant, ClaimedAt = now, Attempt = r.Attempt + 1 }).ToList();
        var actions = claimed.Select((r, i) => new TableTransactionAction(
            TableTransactionActionType.UpdateMerge,
            new TableEntity(id.ToString(), r.RowKey) { ["Claimant"] = r.Claimant, ["ClaimedAt"] = r.ClaimedAt, ["Attempt"] = r.Attempt },
            rows[i].ETag));
        try
        {
            var response = await table.SubmitTransactionAsync(actions, cancellationToken);
            return [.. claimed.Select((r, i) => r with { ETag = response.Value[i].Headers.ETag ?? ETag.All })];
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            return null;
        }
    }

    /// <summary>Marks rows dispatched by deleting them (If-Match); false when another dispatcher took them over meanwhile.</summary>
    public async Task<bool> DeleteOutboxAsync(ChangeId id, IReadOnlyList<OutboxRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return true;
        }
        try
        {
            await table.SubmitTransactionAsync(
                rows.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(id.ToString(), r.RowKey), r.ETag)),
                cancellationToken);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    private static string HistoryKey(int sequence) => $"h-{sequence:D6}";

    private static TableEntity StateEntity(ChangeState state, DateTimeOffset now)
    {
        var entity = new TableEntity(state.Id.ToString(), StateRow)
        {
            ["Stage"] = state.Stage.ToString(),
            ["Version"] = state.Version,
            ["Pattern"] = state.Plan.PatternId,
            ["Asset"] = state.Plan.Asset.ToString(),
            ["Severity"] = state.Ticket.Severity.ToString().ToLowerInvariant(),
            ["Production"] = state.Production,
            ["Owner"] = state.Ticket.Owner,
            ["Detected"] = state.Ticket.Detected,
            ["UpdatedAt"] = now,
        };
        var json = JsonSerializer.Serialize(state, RemediationJson.Options);
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new InvalidOperationException($"{state.Id}: the state is {json.Length} characters, more than one table row holds");
        }
        for (var i = 0; i < chunks; i++)
        {
            entity[ChunkName(i)] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }
        return entity;
    }

    private static ChangeState ReadState(TableEntity row)
    {
        var json = new StringBuilder();
        for (var i = 0; row.GetString(ChunkName(i)) is { } chunk; i++)
        {
            json.Append(chunk);
        }
        return JsonSerializer.Deserialize<ChangeState>(json.ToString(), RemediationJson.Options)
            ?? throw new InvalidDataException($"{row.PartitionKey}: the state row holds no state");
    }

    private static string ChunkName(int i) => i == 0 ? "State" : $"State{i}";

    private static StepClaim? ReadClaim(TableEntity row)
    {
        if (row.GetString("StepClaim") is not { Length: > 0 } claim)
        {
            return null;
        }
        var bar = claim.IndexOf('|', StringComparison.Ordinal);
        return new StepClaim(Enum.Parse<ChainStep>(claim[..bar]), claim[(bar + 1)..], row.GetDateTimeOffset("StepClaimedAt") ?? DateTimeOffset.MinValue);
    }

    private static TableEntity OutboxEntity(string partition, OutboxRow row) => new(partition, row.RowKey)
    {
        ["Kind"] = row.Kind.ToString(),
        ["Body"] = row.Body,
        ["DelayMs"] = (long)row.Delay.TotalMilliseconds,
        ["CommittedAt"] = row.CommittedAt,
        ["Claimant"] = row.Claimant,
        ["ClaimedAt"] = row.ClaimedAt,
        ["Attempt"] = row.Attempt,
        ["CausedBy"] = row.CausedBy,
    };

    private static OutboxRow ReadOutbox(TableEntity row) => new(
        row.RowKey,
        Enum.Parse<OutboxKind>(row.GetString("Kind")),
        row.GetString("Body") ?? "",
        TimeSpan.FromMilliseconds(row.GetInt64("DelayMs") ?? 0),
        row.GetDateTimeOffset("CommittedAt")!.Value,
        row.GetString("Claimant") ?? "",
        row.GetDateTimeOffset("ClaimedAt") ?? DateTimeOffset.MinValue,
        row.GetInt32("Attempt") ?? 1,
        row.GetString("CausedBy") ?? "",
        row.ETag);
}
