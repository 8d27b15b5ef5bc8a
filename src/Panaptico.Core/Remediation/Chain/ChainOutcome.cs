using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>What the chain answers to an event. Only a <see cref="ChainTransition"/> changes anything.</summary>
public abstract record ChainOutcome;

/// <summary>
/// The new state and everything to persist with it, all in one commit: history rows, the step messages to enqueue,
/// ledger entries and notifications (an outbox delivered after the commit, at least once).
/// </summary>
public sealed record ChainTransition(
    ChangeState State,
    IReadOnlyList<ChainHistoryEntry> History,
    IReadOnlyList<ChainMessage> Messages,
    IReadOnlyList<LedgerEntry> Ledger,
    IReadOnlyList<Notification> Notifications) : ChainOutcome;

/// <summary>The event already happened (a redelivered message, a second tap): acknowledge it, change nothing.</summary>
public sealed record ChainDuplicate(string Reason) : ChainOutcome;

/// <summary>The event is not allowed; nothing changed. <see cref="Code"/> maps to the HTTP status.</summary>
public sealed record ChainRefusal(RefusalCode Code, string Reason) : ChainOutcome;

/// <summary>A timer fired early (clock skew): re-arm it for <paramref name="DueAt"/>.</summary>
public sealed record ChainNotYetDue(DateTimeOffset DueAt) : ChainOutcome;

public enum RefusalCode
{
    /// <summary>Malformed: a denial without a reason, a read-back of another asset. HTTP 400.</summary>
    Invalid,

    /// <summary>The caller lacks the role. HTTP 403.</summary>
    Forbidden,

    /// <summary>The requester tried to approve their own change. HTTP 403.</summary>
    SeparationOfDuties,

    /// <summary>The event does not fit where the change is (already decided, not closed yet, parked). HTTP 409.</summary>
    Conflict,

    /// <summary>The approval request expired, or the rollback window closed. HTTP 410.</summary>
    Gone,

    /// <summary>An irreversible fix was approved without saying so. HTTP 422.</summary>
    IrreversibleNotAcknowledged,

    /// <summary>The named approval seat does not exist. HTTP 404.</summary>
    NotFound,
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
