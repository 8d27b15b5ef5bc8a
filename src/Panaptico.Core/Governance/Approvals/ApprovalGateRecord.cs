using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Governance.Approvals;

public enum ApprovalGateState
{
    Open,
    Approved,
    Denied,
}

public enum SeatKind
{
    /// <summary>A parallel seat, open from routing.</summary>
    Signature,

    /// <summary>Opens (posts automatically) once <see cref="ApprovalSeat.OpensAfterSignatures"/> approvals are in.</summary>
    Ratification,
}

public enum SeatState
{
    /// <summary>A ratification seat waiting for its signatures.</summary>
    Queued,
    Open,
    Signed,
    Denied,

    /// <summary>Expired with no fallback left; a revised context pack reopens it.</summary>
    Expired,
}

public enum ApproverKind
{
    Principal,
    Group,
}

public enum ApprovalVerdict
{
    Approved,
    Denied,
}

/// <summary>Who may fill a seat, resolved from the rules when routed: a named person or a group with its members then.</summary>
public sealed record ApproverRef(ApproverKind Kind, string Id, string Name, string? Title, ImmutableArray<string> Members)
{
    /// <summary>The Entra group a directory group's <see cref="Members"/> were read from; null for a group the rules list.</summary>
    public string? DirectoryGroupId { get; init; }

    /// <summary>When a directory group's members were read (the seat keeps whom it resolved and when).</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    public bool Admits(string principalId) => Members.Contains(principalId);
}

/// <summary>One routed approval seat and why it exists: <see cref="RoutedBecause"/>, its rule and the rules version.</summary>
public sealed record ApprovalSeat
{
    /// <summary>The id of the rule that routed it (unique within a rules version).</summary>
    public required string Id { get; init; }

    public required string RuleId { get; init; }

    public required string RulesVersion { get; init; }

    public required SeatKind Kind { get; init; }

    public required ApproverRef Approver { get; init; }

    public required string RoutedBecause { get; init; }

    public int OpensAfterSignatures { get; init; }

    public required TimeSpan ExpiresAfter { get; init; }

    /// <summary>Where the seat goes when it expires; consumed by the first re-route.</summary>
    public ApproverRef? Fallback { get; init; }

    public required SeatState State { get; init; }

    public DateTimeOffset? OpenedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The approver the seat had before an expiry re-routed it.</summary>
    public ApproverRef? ReroutedFrom { get; init; }
}

/// <summary>One approve or deny, bound to the context pack hash its approver saw; a revised pack invalidates it.</summary>
public sealed record ApprovalSignature(
    string SeatId,
    string ApproverId,
    string ApproverName,
    ApprovalVerdict Verdict,
    string Rationale,
    string ContextPackHash,
    DateTimeOffset SignedAt)
{
    public DateTimeOffset? InvalidatedAt { get; init; }

    public string? InvalidatedBecause { get; init; }

    [JsonIgnore]
    public bool IsValid => InvalidatedAt is null;
}

/// <summary>
/// The approval gate of one subject: a task or a change record (the remediation chain uses the same gate, rules and
/// records). Self-contained: approvers, members and reasons are captured at routing, so later decisions need no rules.
/// </summary>
public sealed record ApprovalGateRecord
{
    /// <summary>"TASK-0412" or "CHG-2026-0418-114".</summary>
    public required string SubjectId { get; init; }

    /// <summary>"task" or "change".</summary>
    public required string SubjectKind { get; init; }

    public required string RequesterId { get; init; }

    /// <summary>The ledger stream this gate's entries go to ("governance" for tasks, "remediation" for changes).</summary>
    public required string LedgerStream { get; init; }

    public required string RulesVersion { get; init; }

    public required ChangeAttributes Attributes { get; init; }

    public required ContextPack ContextPack { get; init; }

    /// <summary>64 lowercase hex digits: SHA-256 of the pack's canonical JSON.</summary>
    public required string ContextPackHash { get; init; }

    public required ApprovalGateState State { get; init; }

    public ImmutableArray<ApprovalSeat> Seats { get; init; } = [];

    /// <summary>Every signature ever given, including invalidated ones.</summary>
    public ImmutableArray<ApprovalSignature> Signatures { get; init; } = [];

    public required DateTimeOffset RoutedAt { get; init; }

    /// <summary>Set when a seat denied: the gate is closed and the subject closes as won't-fix with this reason.</summary>
    public ApprovalSignature? Denial { get; init; }

    public ApprovalSignature? ValidSignatureOf(string seatId) => Signatures.LastOrDefault(s => s.SeatId == seatId && s.IsValid);
}
