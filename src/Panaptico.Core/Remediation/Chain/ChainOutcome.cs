using System.Text.Json.Nodes;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>What the chain answers to an event. Only a <see cref="ChainTransition"/> changes anything.</summary>
public abstract record ChainOutcome;

/// <summary>
/// The new state and what records it: the history rows, the ledger entries (each with its
/// <see cref="LedgerEntry.EntryId"/>, so recording it again appends nothing) and the notifications.
/// </summary>
public sealed record ChainTransition(
    ChangeState State,
    IReadOnlyList<ChainHistoryEntry> History,
    IReadOnlyList<LedgerEntry> Ledger,
    IReadOnlyList<Notification> Notifications) : ChainOutcome;

/// <summary>The event already happened (a second tap, a replayed result): change nothing.</summary>
public sealed record ChainDuplicate(string Reason) : ChainOutcome;

/// <summary>The event is not allowed; nothing changed. <see cref="Code"/> maps to the HTTP status; <paramref name="Data"/> to problem members.</summary>
public sealed record ChainRefusal(RefusalCode Code, string Reason, JsonObject? Data = null) : ChainOutcome;

/// <summary>A timer fired early (clock skew): wait again until <paramref name="DueAt"/>.</summary>
public sealed record ChainNotYetDue(DateTimeOffset DueAt) : ChainOutcome;

public enum RefusalCode
{
    /// <summary>Malformed: a denial without a reason, a read-back of another asset. HTTP 400.</summary>
    Invalid,

    /// <summary>The caller lacks the role, or may not fill the seat. HTTP 403.</summary>
    Forbidden,

    /// <summary>The requester tried to approve their own change, or one person two seats. HTTP 403.</summary>
    SegregationOfDuties,

    /// <summary>The named approval seat does not exist. HTTP 404.</summary>
    NotFound,

    /// <summary>The event does not fit where the change is (already decided, not closed yet, irreversible). HTTP 409.</summary>
    Conflict,

    /// <summary>The approver signed another context pack than the change's. HTTP 409.</summary>
    StaleContext,

    /// <summary>The approval request (or its seat) expired, or the rollback window closed. HTTP 410.</summary>
    Expired,

    /// <summary>An irreversible fix was approved without saying so. HTTP 422.</summary>
    IrreversibleNotAcknowledged,
}

/// <summary>One history row of a change: which event moved it from where to where, when and by whom.</summary>
public sealed record ChainHistoryEntry(
    int Sequence,
    DateTimeOffset At,
    string Event,
    ChangeStage From,
    ChangeStage To,
    string Actor,
    string? Detail);
