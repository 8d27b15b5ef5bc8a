using System.Collections.Immutable;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Governance.Views;

/// <summary>
/// What the task page and the task API show: each gate with its progress ("2 / 3 captured", "1 / 2 signed",
/// "3 / 3 cleared"), the work blocked downstream, and the unlock conditions of "complete".
/// </summary>
public sealed record TaskView(
    string Id,
    string Title,
    string PlanId,
    string WaveId,
    string OwnerId,
    TaskState State,
    string StateLabel,
    EvidenceGateStatus Evidence,
    ApprovalGateStatus? Approvals,
    DependencyGateStatus Dependencies,
    RunbookStatus? Runbook,
    BlockedDownstream BlockedDownstream,
    CompletionLock Completion)
{
    /// <param name="upstreams">Rows of the task's upstream tasks (titles, states, seals).</param>
    /// <param name="downstream">Records of the tasks that depend directly on this one.</param>
    public static TaskView Build(TaskRecord record, IReadOnlyList<GovernedTask> upstreams, IReadOnlyList<TaskRecord> downstream, DateTimeOffset now)
    {
        var task = record.Task;
        var evidence = EvidenceGate.Evaluate(record, now);
        var approvals = record.Approvals is null ? null : ApprovalGate.Evaluate(record.Approvals, now);
        var dependencies = DependencyGate.Evaluate(task, upstreams);
        var runbook = record.Runbook is null ? null : RunbookRun.Evaluate(record.Runbook);
        var completion = CompletionLock.Evaluate(record, now);

        var openGates = new[] { !evidence.IsClear, approvals is { IsClear: false }, !dependencies.IsClear, runbook is { IsClear: false } }.Count(open => open);
        var label = task.IsTerminal || openGates == 0
            ? task.State.ToString()
            : $"{task.State} · {GovernanceText.Count(openGates, "gate", "gates")}";

        var blocked = downstream.Where(d => d.Task.State == TaskState.Blocked && d.Task.PendingUpstreamIds.Contains(task.Id)).ToList();
        var awaited = blocked.Sum(d => EvidenceGate.Evaluate(d, now).Requirements.Count(r => r.Status != RequirementStatus.Captured));
        var blockedDownstream = new BlockedDownstream([.. blocked.Select(d => d.Id)], awaited);

        return new TaskView(task.Id, task.Title, task.PlanId, task.WaveId, task.OwnerId, task.State, label,
            evidence, approvals, dependencies, runbook, blockedDownstream, completion);
    }
}

/// <param name="EvidenceArtifacts">Evidence artifacts those tasks still await.</param>
public sealed record BlockedDownstream(ImmutableArray<string> TaskIds, int EvidenceArtifacts)
{
    /// <summary>"Blocked downstream: 2 tasks, 4 evidence artifacts".</summary>
    public string Text =>
        $"Blocked downstream: {GovernanceText.Count(TaskIds.Length, "task", "tasks")}, {GovernanceText.Count(EvidenceArtifacts, "evidence artifact", "evidence artifacts")}";
}
