using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Teams;

namespace Panaptico.Functions.Teams;

/// <summary>The cards the bot posts and answers with, from the records it holds, built by <see cref="ApprovalCards"/> and <see cref="CloseOutCards"/>.</summary>
public static class BotCards
{
    public const string ContentType = AdaptiveCardContent.ContentType;

    public static JsonObject Approval(ChangeState state, DateTimeOffset now, IEnumerable<string> userIds) =>
        ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, now, userIds));

    public static JsonObject Decided(ChangeState state) => ApprovalCards.Decided(DecidedCardModel.ForChange(state));

    public static JsonObject Expired(ChangeState state) => ApprovalCards.Expired(ExpiredCardModel.ForChange(state));

    public static JsonObject NotYours(ChangeState state, string viewer, string why) =>
        ApprovalCards.NotYours(NotYoursCardModel.ForChange(state, viewer, why));

    public static JsonObject CloseOut(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return CloseOutCards.For(state.CloseOut ?? throw new InvalidOperationException($"{state.Id} has no close-out yet"));
    }

    /// <summary>A governed task's seat awaiting its approver, with the signatures so far.</summary>
    public static JsonObject TaskSeat(TaskRecord record, ApprovalSeat seat, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(seat);
        return ApprovalCards.ForTaskSeat(TaskSeatCardModel.From(record.Task, record.Approvals!, seat.Id, now, seat.Approver.Members));
    }

    /// <summary>A task seat once signed, denied or expired: who, when, outcome, no buttons.</summary>
    public static JsonObject TaskSeatClosed(TaskRecord record, ApprovalSeat seat, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(seat);
        return seat.State == SeatState.Expired || record.Approvals?.ValidSignatureOf(seat.Id) is null
            ? ApprovalCards.Expired(ExpiredCardModel.ForTaskSeat(record.Task, seat))
            : ApprovalCards.Decided(DecidedCardModel.ForSeat(record.Id, $"{record.Id} · {record.Task.Title}", record.Approvals, seat.Id, now));
    }

    public static JsonObject TaskNotYours(TaskRecord record, string viewer, string why)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ApprovalCards.NotYours(NotYoursCardModel.ForTask(record.Task, record.Approvals!, viewer, why));
    }
}
