using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Core.Teams;

/// <summary>The ticket's structured fields, as the walkthrough's ticket prints them.</summary>
public sealed record TicketFacts(string Violation, string Asset, string Framework, string Severity, string Owner, DateTimeOffset Detected);

/// <summary>What the approver reviews, and the hash their decision is bound to (64 lowercase hex digits).</summary>
public sealed record ContextPackFacts(
    string Sha256,
    string Impact,
    string WorkloadDiff,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    string PostureScope,
    string ReversalTrigger)
{
    public static ContextPackFacts Of(ApprovalGateRecord gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var pack = gate.ContextPack;
        return new(gate.ContextPackHash, pack.Impact, pack.WorkloadDiff, pack.ChangeWindow.Start, pack.ChangeWindow.End, pack.PostureScope, pack.ReversalTrigger);
    }
}

/// <summary>
/// One seat of an approval gate as a card shows it: whom it is routed to, why, where it stands ("Approved · …",
/// "Awaiting · routed … · expires in 38m") and the signer's rationale once signed.
/// </summary>
public sealed record SeatFacts(string SeatId, string ApproverName, string? ApproverTitle, string RoutedBecause, string Status, string? SignedByName, string? Rationale)
{
    public static IReadOnlyList<SeatFacts> Of(ApprovalGateRecord gate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(gate);
        return [.. ApprovalGate.Evaluate(gate, now).Seats.Select(s => new SeatFacts(
            s.Seat.Id, s.Seat.Approver.Name, s.Seat.Approver.Title, s.Seat.RoutedBecause, s.Status, s.Signature?.ApproverName, s.Signature?.Rationale))];
    }
}

/// <summary>The approval request for a change record (the walkthrough's step 02).</summary>
/// <param name="Headline">"CHG-2026-0418-114 · remove public-read grant".</param>
/// <param name="ContextPack">Null when the change has no routed gate (the chain runs without routing rules).</param>
/// <param name="IrreversibleReason">Set when the fix cannot be undone: the card says so and Approve acknowledges it.</param>
/// <param name="RefreshUserIds">Whom the card refreshes itself for (Teams user ids), at most <see cref="AdaptiveCardContent.MaxRefreshUserIds"/>.</param>
public sealed record ChangeApprovalCardModel(
    string ChangeId,
    string Headline,
    TicketFacts Ticket,
    string Action,
    string Command,
    string AssetName,
    string AssetId,
    DateTimeOffset ExpiresAt,
    ContextPackFacts? ContextPack,
    IReadOnlyList<SeatFacts> Seats,
    string? IrreversibleReason,
    IReadOnlyList<string> RefreshUserIds)
{
    /// <summary>
    /// The card for a change waiting at its approval. <paramref name="refreshUserIds"/> are the routed approvers' Teams
    /// user ids; without them the seats' members' principal ids are named (what a deployment whose principal ids are
    /// the Teams ids needs).
    /// </summary>
    public static ChangeApprovalCardModel From(ChangeState state, DateTimeOffset now, IEnumerable<string>? refreshUserIds = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ticket = state.Ticket;
        var gate = state.ApprovalGate;
        return new(
            state.Id.ToString(),
            ApprovalCardText.Headline(state),
            new TicketFacts(
                ticket.Violation.ToString(),
                ticket.Asset.ToString(),
                string.Join(" · ", ticket.Framework),
                ticket.Severity.ToString().ToLowerInvariant(),
                ticket.Owner,
                ticket.Detected),
            state.Plan.Action,
            state.Plan.Command,
            state.Plan.Asset.DisplayName,
            state.Plan.Asset.ToString(),
            state.ApprovalExpiresAt ?? throw new InvalidOperationException($"{state.Id} does not wait for an approval"),
            gate is null ? null : ContextPackFacts.Of(gate),
            gate is null ? [] : SeatFacts.Of(gate, now),
            state.IrreversibleReason,
            ApprovalCardText.Cap(refreshUserIds ?? ApprovalCardText.RoutedMembers(gate)));
    }
}

/// <summary>A governed task's approval seat, with the signature chain so far.</summary>
/// <param name="Headline">"TASK-0412 · Enforce KMS auto-rotation · 14 finance-domain CMKs".</param>
/// <param name="Seat">The seat this card asks to be signed.</param>
/// <param name="Chain">Every seat of the gate, in routing order, with its status and rationale.</param>
/// <param name="Progress">"1 / 2 signed".</param>
public sealed record TaskSeatCardModel(
    string TaskId,
    string Headline,
    SeatFacts Seat,
    DateTimeOffset? ExpiresAt,
    ContextPackFacts ContextPack,
    IReadOnlyList<SeatFacts> Chain,
    string Progress,
    IReadOnlyList<string> RefreshUserIds)
{
    /// <param name="refreshUserIds">The seat's members' Teams user ids; without them, their principal ids.</param>
    public static TaskSeatCardModel From(GovernedTask task, ApprovalGateRecord gate, string seatId, DateTimeOffset now, IEnumerable<string>? refreshUserIds = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(gate);
        var seat = gate.Seats.FirstOrDefault(s => s.Id == seatId) ?? throw new ArgumentException($"{task.Id} has no seat {seatId}", nameof(seatId));
        var chain = SeatFacts.Of(gate, now);
        return new(
            task.Id,
            $"{task.Id} · {task.Title}",
            chain.First(s => s.SeatId == seatId),
            seat.ExpiresAt,
            ContextPackFacts.Of(gate),
            chain,
            ApprovalGate.Evaluate(gate, now).Progress,
            ApprovalCardText.Cap(refreshUserIds ?? seat.Approver.Members));
    }
}

public enum CardOutcome
{
    Approved,
    Denied,
}

/// <summary>The card after a decision: who decided, when, the outcome and the reason; no buttons.</summary>
/// <param name="How">"tap", "auto" (approved by policy) or "link"; null when not recorded.</param>
/// <param name="Progress">For a seat of a gate with other seats: "1 / 2 signed".</param>
public sealed record DecidedCardModel(
    string SubjectId,
    string Headline,
    CardOutcome Outcome,
    string DeciderId,
    string DeciderName,
    DateTimeOffset At,
    string? Reason,
    string? SeatId = null,
    string? Progress = null,
    string? How = null)
{
    /// <summary>The change's decision (the signature that cleared or denied its gate, or the policy's).</summary>
    public static DecidedCardModel ForChange(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var decided = state.Approval ?? throw new InvalidOperationException($"{state.Id} is not decided");
        return new(
            state.Id.ToString(),
            ApprovalCardText.Headline(state),
            decided.Outcome == ApprovalOutcome.Granted ? CardOutcome.Approved : CardOutcome.Denied,
            decided.ApproverId,
            decided.ApproverName,
            decided.At,
            decided.Reason,
            How: decided.Mode.ToString().ToLowerInvariant());
    }

    /// <summary>One seat's signature (a task's seat, or a change seat signed while others are awaited).</summary>
    public static DecidedCardModel ForSeat(string subjectId, string headline, ApprovalGateRecord gate, string seatId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var signature = gate.ValidSignatureOf(seatId) ?? throw new InvalidOperationException($"seat {seatId} of {subjectId} is not signed");
        return new(
            subjectId,
            headline,
            signature.Verdict == ApprovalVerdict.Approved ? CardOutcome.Approved : CardOutcome.Denied,
            signature.ApproverId,
            signature.ApproverName,
            signature.SignedAt,
            signature.Rationale,
            seatId,
            ApprovalGate.Evaluate(gate, now).Progress);
    }
}

/// <summary>The card once a request's time is over.</summary>
/// <param name="Consequence">What followed, e.g. "Nobody decided in time: the change closed and nothing was changed."</param>
public sealed record ExpiredCardModel(string SubjectId, string Headline, DateTimeOffset ExpiredAt, string Consequence)
{
    public static ExpiredCardModel ForChange(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(
            state.Id.ToString(),
            ApprovalCardText.Headline(state),
            state.ApprovalExpiresAt ?? throw new InvalidOperationException($"{state.Id} never waited for an approval"),
            "Nobody decided in time: the change closed and nothing was changed.");
    }

    public static ExpiredCardModel ForTaskSeat(GovernedTask task, ApprovalSeat seat)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(seat);
        return new(
            task.Id,
            $"{task.Id} · {task.Title}",
            seat.ExpiresAt ?? throw new InvalidOperationException($"seat {seat.Id} of {task.Id} is not open"),
            seat.Fallback is { } fallback
                ? $"Seat {seat.Id} re-routes to {fallback.Name} (rule {seat.RuleId})."
                : $"Seat {seat.Id} expired with no fallback; a revised context pack reopens it.");
    }
}

/// <summary>The card for someone who opened a request they may not decide, saying why.</summary>
/// <param name="Why">The refusal in words: "seat domain-cost-owner is routed to Nina Ramirez; Owen Price is not its approver".</param>
/// <param name="RoutedTo">Who may decide: "Nina Ramirez (domain-cost-owner)".</param>
public sealed record NotYoursCardModel(string SubjectId, string Headline, string ViewerName, string Why, IReadOnlyList<string> RoutedTo)
{
    public static NotYoursCardModel ForChange(ChangeState state, string viewerName, string why)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.Id.ToString(), ApprovalCardText.Headline(state), viewerName, why, ApprovalCardText.RoutedTo(state.ApprovalGate));
    }

    public static NotYoursCardModel ForTask(GovernedTask task, ApprovalGateRecord gate, string viewerName, string why)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(task.Id, $"{task.Id} · {task.Title}", viewerName, why, ApprovalCardText.RoutedTo(gate));
    }
}

internal static class ApprovalCardText
{
    public static string Headline(ChangeState state) => $"{state.Id} · {state.Plan.Action}";

    public static IEnumerable<string> RoutedMembers(ApprovalGateRecord? gate) =>
        gate is null ? [] : gate.Seats.Where(s => s.State is SeatState.Open or SeatState.Queued).SelectMany(s => s.Approver.Members);

    public static IReadOnlyList<string> Cap(IEnumerable<string> userIds) =>
        [.. userIds.Where(u => !string.IsNullOrWhiteSpace(u)).Distinct(StringComparer.Ordinal).Take(AdaptiveCardContent.MaxRefreshUserIds)];

    public static IReadOnlyList<string> RoutedTo(ApprovalGateRecord? gate) =>
        gate is null ? [] : [.. gate.Seats.Select(s => $"{s.Approver.Name} ({s.Id})")];
}
