using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>The approval gate as a task uses it; a deny closes the task as won't-fix with the approver's reason.</summary>
public static class TaskApprovals
{
    public static Decision<TaskRecord> Route(TaskRecord record, ApprovalRules rules, ChangeAttributes attributes, ContextPack pack, Principal by, DateTimeOffset now)
    {
        if (Refuse(record, by, operatorOnly: true, needsGate: false) is { } refusal)
        {
            return refusal;
        }

        if (record.Approvals is not null)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is already routed (rules {record.Approvals.RulesVersion}); revise its context pack instead");
        }

        var request = new ApprovalRequest(record.Id, "task", record.Task.RequesterId, attributes, pack);
        return With(record, ApprovalGate.Route(rules, request, by.Id, now), now);
    }

    public static Decision<TaskRecord> Approve(TaskRecord record, Principal approver, string seatId, string rationale, string seenContextPackHash, DateTimeOffset now) =>
        Refuse(record, approver, operatorOnly: false, needsGate: true)
        ?? With(record, ApprovalGate.Approve(record.Approvals!, approver, seatId, rationale, seenContextPackHash, now), now);

    /// <summary>Denies from a seat and closes the task as won't-fix with the rationale on record.</summary>
    public static Decision<TaskRecord> Deny(TaskRecord record, Principal approver, string seatId, string rationale, string seenContextPackHash, DateTimeOffset now)
    {
        if (Refuse(record, approver, operatorOnly: false, needsGate: true) is { } refusal)
        {
            return refusal;
        }

        var denied = ApprovalGate.Deny(record.Approvals!, approver, seatId, rationale, seenContextPackHash, now);
        if (!denied.IsAccepted)
        {
            return denied.Refusal;
        }

        var reason = $"denied by {approver.Name} (seat {seatId}): {rationale.Trim()}";
        var closed = TaskLifecycle.Close(record with { Approvals = denied.Value }, ClosureKind.WontFix, approver.Id, reason, now);
        var owner = new Notification("task.closed", record.Task.OwnerId, $"{record.Id} closed as won't-fix", reason,
            new JsonObject { ["task"] = record.Id, ["seat"] = seatId });
        return Decision.Accept(closed.Value!, [.. denied.Ledger, .. closed.Ledger], [.. denied.Notifications, owner]);
    }

    public static Decision<TaskRecord> ReviseContextPack(TaskRecord record, ContextPack pack, Principal by, string reason, DateTimeOffset now) =>
        Refuse(record, by, operatorOnly: true, needsGate: true)
        ?? With(record, ApprovalGate.ReviseContextPack(record.Approvals!, pack, by.Id, reason, now), now);

    /// <summary>The expiry sweep for a task's seats (re-route to fallback, or expire).</summary>
    public static Decision<TaskRecord> ExpireDue(TaskRecord record, DateTimeOffset now) =>
        record.Approvals is null || record.Task.IsTerminal
            ? Decision.Accept(record)
            : With(record, ApprovalGate.ExpireDue(record.Approvals, now), now);

    private static Decision<TaskRecord> With(TaskRecord record, Decision<ApprovalGateRecord> decision, DateTimeOffset now) =>
        !decision.IsAccepted
            ? decision.Refusal
            : decision.Ledger.IsEmpty && ReferenceEquals(decision.Value, record.Approvals)
                ? Decision.Accept(record)
                : Decision.Accept(record with { Approvals = decision.Value, Task = record.Task with { UpdatedAt = now } }, decision.Ledger, decision.Notifications);

    private static Refusal? Refuse(TaskRecord record, Principal by, bool operatorOnly, bool needsGate)
    {
        if (operatorOnly && !by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators route approvals and revise context packs");
        }

        if (record.Task.IsTerminal)
        {
            var closure = record.Task.Closure is { } c ? $": {c.Reason}" : "";
            return Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is {record.Task.State}{closure}");
        }

        return needsGate && record.Approvals is null
            ? Decision.Refuse(RefusalCode.NotFound, $"{record.Id} has no approvals routed")
            : null;
    }
}
