using System.Text.Json.Serialization;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>
/// One change's state: the ticket, the plan, and what each stage has recorded so far. Only
/// <see cref="ChangeChain"/> makes new ones. <see cref="Version"/> counts history entries (the next entry's
/// sequence is Version + 1).
/// </summary>
public sealed record ChangeState
{
    public required ChangeRecord Ticket { get; init; }

    public required Finding Finding { get; init; }

    public required FixPlan Plan { get; init; }

    /// <summary>Who asked for the change (the detector, or a person); never its approver.</summary>
    public required string RequestedBy { get; init; }

    public required bool Production { get; init; }

    /// <summary>Null when the fix can be undone.</summary>
    public string? IrreversibleReason { get; init; }

    public required ChangeStage Stage { get; init; }

    public required int Version { get; init; }

    public required DateTimeOffset OpenedAt { get; init; }

    public DateTimeOffset? ApprovalExpiresAt { get; init; }

    /// <summary>
    /// How long a closed change can be reverted, and where its announcements go: the policy when it opened, kept with the
    /// change so every later decision on it (wherever it is taken) reads the same terms.
    /// </summary>
    public TimeSpan RollbackWindow { get; init; } = new RemediationPolicy().RollbackWindow;

    public string AuditChannel { get; init; } = new RemediationPolicy().AuditChannel;

    public TimeSpan ExceptionDuration { get; init; } = new RemediationPolicy().ExceptionDuration;

    /// <summary>The rolled-back change this one re-opens: it waits for a person whatever the asset.</summary>
    public ChangeId? Follows { get; init; }

    /// <summary>The change opened for the violation this one's rollback left in place.</summary>
    public ChangeId? FollowedBy { get; init; }

    /// <summary>Set by a won't-fix or a revert: the violation stands, owned, until it expires.</summary>
    public RiskException? Exception { get; init; }

    /// <summary>
    /// The routed approval gate of a change that waits for people (same rules, reasons, segregation of duties and
    /// records as a task's); null when approved by policy or when the chain runs without routing rules.
    /// </summary>
    public ApprovalGateRecord? ApprovalGate { get; init; }

    public ApprovalDecision? Approval { get; init; }

    public AssetState? Backup { get; init; }

    public string? BackupLocation { get; init; }

    public string? BackupSha256 { get; init; }

    public DateTimeOffset? FixAppliedAt { get; init; }

    public Verification? Verification { get; init; }

    /// <summary>The inverse run automatically after a verification mismatch.</summary>
    public InversePlan? Restore { get; init; }

    public Verification? RestoreVerification { get; init; }

    public RollbackBundle? Bundle { get; init; }

    public string? BundleLocation { get; init; }

    public CloseOut? CloseOut { get; init; }

    public RevertRequest? Revert { get; init; }

    /// <summary>When the rollback window closed on a closed change: the bundle expired and the change is settled.</summary>
    public DateTimeOffset? SettledAt { get; init; }

    public Verification? RevertVerification { get; init; }

    /// <summary>Why a change ended off the main path (the denial's reason, the mismatch, the stuck step).</summary>
    public string? Outcome { get; init; }

    [JsonIgnore]
    public ChangeId Id => Ticket.Id;
}

public enum ApprovalOutcome
{
    Granted,
    Denied,
}

public enum ApprovalMode
{
    /// <summary>A person tapped approve or deny.</summary>
    Tap,

    /// <summary>The non-production policy approved; recorded as such.</summary>
    Auto,
}

/// <summary>The decision that moved the change: for a gated change, the signature that cleared (or denied) the gate.</summary>
public sealed record ApprovalDecision(
    ApprovalOutcome Outcome,
    ApprovalMode Mode,
    string ApproverId,
    string ApproverName,
    DateTimeOffset At,
    string? Reason,
    bool AcknowledgedIrreversible);

/// <summary>
/// The inverse of a fix, computed from its backup, bound to the change and valid until
/// <paramref name="AvailableUntil"/> (null when the fix is irreversible).
/// </summary>
public sealed record RollbackBundle(
    ChangeId ChangeId,
    Inverse Inverse,
    string BackupLocation,
    string BackupSha256,
    DateTimeOffset CreatedAt,
    DateTimeOffset? AvailableUntil);

public sealed record RevertRequest(string ById, string ByName, DateTimeOffset At);

/// <summary>
/// A violation left standing on purpose (a won't-fix or a revert): who owns that decision, why, and until when. While
/// it stands, detection opens nothing for the asset and pattern; after <paramref name="Until"/> it opens a new change.
/// </summary>
/// <param name="Kind"><c>wont-fix</c> or <c>reverted</c>.</param>
public sealed record RiskException(string Kind, string OwnerId, string OwnerName, string Reason, DateTimeOffset Since, DateTimeOffset Until)
{
    public bool StandsAt(DateTimeOffset at) => at < Until;

    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["kind"] = Kind,
        ["owner"] = OwnerId,
        ["ownerName"] = OwnerName,
        ["reason"] = Reason,
        ["since"] = CloseOut.Iso(Since),
        ["until"] = CloseOut.Iso(Until),
    };

    public string Render() => $"exception: {Kind} owned by {OwnerId} until {CloseOut.Iso(Until)} ({Reason})";
}
