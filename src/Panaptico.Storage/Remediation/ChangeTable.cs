using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

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

/// <summary>
/// The changes table: the query model of changes (the orchestration holds the flow; people read this). One partition
/// per change (the partition key is the change id):
/// <list type="bullet">
/// <item><c>state</c>: the serialized <see cref="ChangeState"/> plus list columns;</item>
/// <item><c>h-NNNNNN</c>: history, one row per history entry, by sequence.</item>
/// </list>
/// Each write puts the state and the history that led to it in one entity-group transaction, so a change never shows
/// a state without its history. Writes are idempotent: activities run at least once.
/// </summary>
/// <summary>A violation left standing on purpose: the change that decided it, its asset and pattern, and the exception.</summary>
public sealed record ChangeException(ChangeId ChangeId, string Pattern, string Asset, string Severity, string Team, RiskException Exception);

public sealed class ChangeTable(TableClient table)
{
    public const string StateRow = "state";

    // A string property holds 64 KiB (32 Ki UTF-16 chars); a state larger than that spreads over numbered properties.
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 30;
    private const int MaxConflictRetries = 20;

    public TableClient Client => table;

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>The change's state; null when it does not exist.</summary>
    public async Task<ChangeState?> GetAsync(ChangeId id, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(id.ToString(), StateRow, cancellationToken: cancellationToken);
        return row.HasValue ? ReadState(row.Value!) : null;
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
        // A zombie write of an older transition may have left history beyond the state it lost to; show what the state reached.
        return state is null ? null : new ChangeView(state, [.. history.Where(h => h.Sequence <= state.Version).OrderBy(h => h.Sequence)]);
    }

    /// <summary>Every change, newest first, from the state rows' list columns.</summary>
    public async Task<IReadOnlyList<ChangeSummary>> ListAsync(int max, CancellationToken cancellationToken)
    {
        var summaries = new List<ChangeSummary>();
        var filter = TableClient.CreateQueryFilter($"RowKey eq {StateRow}");
        string[] columns = ["PartitionKey", "Stage", "Pattern", "Asset", "Severity", "Production", "Owner", "Detected", "UpdatedAt"];
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            if (!ChangeId.TryParse(row.PartitionKey, out var id))
            {
                continue;
            }
            summaries.Add(new ChangeSummary(
                id.Value,
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

    /// <summary>Every won't-fix and reverted change with its exception, soonest to lapse first, from the state rows' columns.</summary>
    public async Task<IReadOnlyList<ChangeException>> ListExceptionsAsync(CancellationToken cancellationToken)
    {
        var exceptions = new List<ChangeException>();
        var filter = TableClient.CreateQueryFilter(
            $"RowKey eq {StateRow} and (Stage eq {nameof(ChangeStage.WontFix)} or Stage eq {nameof(ChangeStage.Reverted)})");
        string[] columns = ["PartitionKey", "Pattern", "Asset", "Severity", "Owner", "ExceptionKind", "ExceptionOwner", "ExceptionOwnerName",
            "ExceptionReason", "ExceptionSince", "ExceptionUntil"];
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: columns, cancellationToken: cancellationToken))
        {
            if (!ChangeId.TryParse(row.PartitionKey, out var id) || row.GetString("ExceptionKind") is not { } kind)
            {
                continue;
            }
            exceptions.Add(new ChangeException(id.Value, row.GetString("Pattern"), row.GetString("Asset"), row.GetString("Severity"), row.GetString("Owner"),
                new RiskException(kind, row.GetString("ExceptionOwner"), row.GetString("ExceptionOwnerName"), row.GetString("ExceptionReason"),
                    row.GetDateTimeOffset("ExceptionSince")!.Value, row.GetDateTimeOffset("ExceptionUntil")!.Value)));
        }
        return [.. exceptions.OrderBy(e => e.Exception.Until).ThenBy(e => e.ChangeId.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>
    /// Opens a change: its state and first history rows, added together. When the change exists already (a retried
    /// opening), nothing is written and the stored state is returned: the first opening is the record.
    /// </summary>
    public async Task<ChangeState> OpenAsync(ChangeState state, IReadOnlyList<ChainHistoryEntry> history, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Add, StateEntity(state, now)) };
        actions.AddRange(history.Select(h => new TableTransactionAction(TableTransactionActionType.UpsertReplace, HistoryEntity(state.Id, h))));
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken);
            return state;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            return await GetAsync(state.Id, cancellationToken)
                ?? throw new InvalidOperationException($"{state.Id} exists and cannot be read", e);
        }
    }

    /// <summary>
    /// Records a transition: the state it reached and the history rows that led there. Idempotent: a state the table
    /// already holds at this version or later is left alone (a retried or a late duplicate write changes nothing), and
    /// the history rows, whose content the transition fixes, are upserted by sequence.
    /// </summary>
    /// <returns>Whether this call moved the state row.</returns>
    public async Task<bool> RecordAsync(ChangeState state, IReadOnlyList<ChainHistoryEntry> history, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var id = state.Id;
        for (var attempt = 0; ; attempt++)
        {
            var current = await table.GetEntityIfExistsAsync<TableEntity>(id.ToString(), StateRow, ["Version"], cancellationToken);
            if (current.HasValue && (current.Value!.GetInt32("Version") ?? 0) >= state.Version)
            {
                return false;
            }
            var actions = new List<TableTransactionAction>
            {
                current.HasValue
                    ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, StateEntity(state, now), current.Value!.ETag)
                    : new TableTransactionAction(TableTransactionActionType.Add, StateEntity(state, now)),
            };
            actions.AddRange(history.Select(h => new TableTransactionAction(TableTransactionActionType.UpsertReplace, HistoryEntity(id, h))));
            try
            {
                await table.SubmitTransactionAsync(actions, cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < MaxConflictRetries)
            {
                // Another writer of this change got in between our read and our write: look again.
            }
        }
    }

    private static string HistoryKey(int sequence) => $"h-{sequence:D6}";

    private static TableEntity HistoryEntity(ChangeId id, ChainHistoryEntry entry) => new(id.ToString(), HistoryKey(entry.Sequence))
    {
        ["At"] = entry.At,
        ["Event"] = entry.Event,
        ["From"] = entry.From.ToString(),
        ["To"] = entry.To.ToString(),
        ["Actor"] = entry.Actor,
        ["Detail"] = entry.Detail,
    };

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
        if (state.Exception is { } exception)
        {
            entity["ExceptionKind"] = exception.Kind;
            entity["ExceptionOwner"] = exception.OwnerId;
            entity["ExceptionOwnerName"] = exception.OwnerName;
            entity["ExceptionReason"] = exception.Reason;
            entity["ExceptionSince"] = exception.Since;
            entity["ExceptionUntil"] = exception.Until;
        }
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
}
