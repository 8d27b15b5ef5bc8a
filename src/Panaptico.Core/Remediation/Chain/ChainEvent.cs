using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>
/// Something that happened to a change: a decision from a person, or the result of a step's side effect.
/// A closed set, one record per kind (as Durable Task's history events).
/// </summary>
public abstract record ChainEvent(DateTimeOffset At);

/// <summary>An approver's tap. An irreversible fix needs <paramref name="AcknowledgesIrreversible"/> set.</summary>
public sealed record ApprovalGranted(Principal Approver, DateTimeOffset At, bool AcknowledgesIrreversible = false) : ChainEvent(At);

public sealed record ApprovalDenied(Principal Approver, DateTimeOffset At, string Reason) : ChainEvent(At);

/// <summary>
/// An approver signs one seat of the change's approval gate, with a rationale and the context pack hash they reviewed.
/// A null <paramref name="SeatId"/> means the one open seat the approver may fill. The chain moves once every seat is signed.
/// </summary>
public sealed record SeatApproved(
    Principal Approver, DateTimeOffset At, string? SeatId, string Rationale, string ContextPackSha256, bool AcknowledgesIrreversible = false) : ChainEvent(At);

/// <summary>An approver denies from a seat of the change's approval gate; the change closes as won't-fix with the rationale.</summary>
public sealed record SeatDenied(Principal Approver, DateTimeOffset At, string? SeatId, string Rationale, string ContextPackSha256) : ChainEvent(At);

/// <summary>The approval timer fired.</summary>
public sealed record ApprovalTimedOut(DateTimeOffset At) : ChainEvent(At);

/// <summary>The asset's exact state was written to the rollback vault before anything else wrote.</summary>
public sealed record BackupTaken(DateTimeOffset At, AssetState Snapshot, string Location, string Sha256) : ChainEvent(At);

public sealed record FixApplied(DateTimeOffset At) : ChainEvent(At);

/// <summary>The asset read back after the fix.</summary>
public sealed record FixObserved(DateTimeOffset At, AssetState Observed) : ChainEvent(At);

public sealed record RollbackBundleStored(DateTimeOffset At, string Location) : ChainEvent(At);

/// <summary>The close-out record went to the audit channel.</summary>
public sealed record CloseOutSent(DateTimeOffset At) : ChainEvent(At);

/// <summary>The asset read back after the automatic restore that follows a verification mismatch.</summary>
public sealed record RestoreObserved(DateTimeOffset At, AssetState Observed) : ChainEvent(At);

public sealed record RevertRequested(Principal By, DateTimeOffset At) : ChainEvent(At);

/// <summary>The asset read back after a revert's inverse ran.</summary>
public sealed record RevertObserved(DateTimeOffset At, AssetState Observed) : ChainEvent(At);

/// <summary>
/// A step's side effect failed on every attempt its retry policy allowed. <paramref name="Error"/> must hold no secrets
/// (the kind of error and the storage status, never request details).
/// </summary>
public sealed record StepFailed(ChainStep Step, int Attempts, string Error, DateTimeOffset At) : ChainEvent(At);

/// <summary>After a rollback, the violation it left in place was opened again as <paramref name="FollowUp"/>.</summary>
public sealed record FollowUpOpened(Tickets.ChangeId FollowUp, DateTimeOffset At) : ChainEvent(At);

/// <summary>The rollback window's timer fired: the rollback bundle expired and the change is settled for the audit.</summary>
public sealed record RollbackWindowClosed(DateTimeOffset At) : ChainEvent(At);
