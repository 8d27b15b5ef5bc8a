using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Governance.Completion;

public enum GateKind
{
    Evidence,
    Approval,
    Dependency,
    Runbook,
}

/// <param name="Subject">The requirement, seat, upstream task or runbook step that is open.</param>
/// <param name="Text">What must happen, in words.</param>
public sealed record UnlockCondition(GateKind Gate, string Subject, string Text);

/// <summary>
/// Why "complete" is locked, in words ("unlocks when 1 evidence artifact arrives + 1 approval returns") and in data
/// (one condition per open requirement, seat, upstream and runbook step, and the counts per gate).
/// </summary>
public sealed record CompletionLock(
    ImmutableArray<UnlockCondition> Conditions,
    int EvidenceArtifacts,
    int Approvals,
    int UpstreamTasks,
    int RunbookItems)
{
    public bool IsLocked => !Conditions.IsEmpty;

    public string Summary
    {
        get
        {
            var parts = new List<string>();
            if (EvidenceArtifacts > 0)
            {
                parts.Add($"{GovernanceText.Count(EvidenceArtifacts, "evidence artifact arrives", "evidence artifacts arrive")}");
            }

            if (Approvals > 0)
            {
                parts.Add(GovernanceText.Count(Approvals, "approval returns", "approvals return"));
            }

            if (UpstreamTasks > 0)
            {
                parts.Add(GovernanceText.Count(UpstreamTasks, "upstream task seals", "upstream tasks seal"));
            }

            if (RunbookItems > 0)
            {
                parts.Add(GovernanceText.Count(RunbookItems, "runbook item is recorded", "runbook items are recorded"));
            }

            return parts.Count == 0 ? "unlocked: every gate is clear" : $"unlocks when {string.Join(" + ", parts)}";
        }
    }

    public static CompletionLock Evaluate(TaskRecord record, DateTimeOffset now)
    {
        var conditions = ImmutableArray.CreateBuilder<UnlockCondition>();
        var evidence = EvidenceGate.Evaluate(record, now);
        foreach (var open in evidence.Requirements.Where(r => r.Status != RequirementStatus.Captured))
        {
            var text = open.Status switch
            {
                RequirementStatus.Rejected => $"{open.Requirement.Title}: the latest artifact was rejected ({open.Detail}); capture one that passes",
                RequirementStatus.Waiting => $"{open.Requirement.Title}: {open.Detail}, then capture the telemetry covering the window",
                _ => $"{open.Requirement.Title}: {open.Detail}",
            };
            conditions.Add(new UnlockCondition(GateKind.Evidence, open.Requirement.Id, text));
        }

        var evidenceCount = conditions.Count;
        if (record.Approvals is { } gate)
        {
            var status = ApprovalGate.Evaluate(gate, now);
            foreach (var seat in status.Seats.Where(s => s.Seat.State != SeatState.Signed))
            {
                var text = seat.Seat.State switch
                {
                    SeatState.Queued => $"{seat.Seat.Approver.Name} ratifies once {seat.Seat.OpensAfterSignatures} signatures are in (routed because: {seat.Seat.RoutedBecause})",
                    SeatState.Expired => $"{seat.Seat.Approver.Name} did not sign by {GovernanceText.Minute(seat.Seat.ExpiresAt!.Value)} and no fallback is left; revise the context pack to reopen the seat",
                    _ => $"{seat.Seat.Approver.Name} signs (routed because: {seat.Seat.RoutedBecause})",
                };
                conditions.Add(new UnlockCondition(GateKind.Approval, seat.Seat.Id, text));
            }
        }

        var approvalCount = conditions.Count - evidenceCount;
        foreach (var upstream in record.Task.PendingUpstreamIds)
        {
            conditions.Add(new UnlockCondition(GateKind.Dependency, upstream, $"{upstream} seals its evidence bundle"));
        }

        var runbookItems = 0;
        if (record.Runbook is { } runbook)
        {
            var status = RunbookRun.Evaluate(runbook);
            foreach (var step in status.Steps.Where(s => !s.IsComplete))
            {
                var outstanding = step.Items == 0 ? 1 : step.Items - step.Recorded;
                runbookItems += outstanding;
                var text = step.Items == 0 && step.Step.LiveCheck is { } check
                    ? $"runbook step {step.Step.Number} ({step.Step.Title}): run its {check.Kind} check"
                    : step.Items == 0 && step.Step.Connector is not null
                    ? $"runbook step {step.Step.Number} ({step.Step.Title}): pull live state from {step.Step.Connector} and record each item"
                    : $"runbook step {step.Step.Number} ({step.Step.Title}): {GovernanceText.Count(outstanding, "item", "items")} to record";
                conditions.Add(new UnlockCondition(GateKind.Runbook, $"step-{step.Step.Number}", text));
            }
        }

        return new CompletionLock(conditions.ToImmutable(), evidenceCount, approvalCount, record.Task.PendingUpstreamIds.Length, runbookItems);
    }

    /// <summary>The problem+json extension members of a locked completion.</summary>
    public JsonObject ToJson() => new()
    {
        ["unlocks"] = Summary,
        ["evidenceArtifacts"] = EvidenceArtifacts,
        ["approvals"] = Approvals,
        ["upstreamTasks"] = UpstreamTasks,
        ["runbookItems"] = RunbookItems,
        ["conditions"] = new JsonArray([.. Conditions.Select(c => (JsonNode)new JsonObject
        {
            ["gate"] = c.Gate.ToString().ToLowerInvariant(),
            ["subject"] = c.Subject,
            ["text"] = c.Text,
        })]),
    };
}
