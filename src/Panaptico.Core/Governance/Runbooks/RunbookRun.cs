using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Limits;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance.Runbooks;

/// <summary>
/// Running a task's runbook: live state comes in from a connector (as data), a person records Pass/Fail per item in
/// step order, every outcome goes to the ledger, and a Fail opens a sub-task the parent then waits on.
/// </summary>
public static class RunbookRun
{
    public static string? Validate(IReadOnlyList<RunbookStep> steps)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Number != i + 1)
            {
                return $"runbook steps are numbered 1..{steps.Count} in order; step {i + 1} is numbered {steps[i].Number}";
            }

            if (string.IsNullOrWhiteSpace(steps[i].Title) || string.IsNullOrWhiteSpace(steps[i].Check) || string.IsNullOrWhiteSpace(steps[i].ExpectedText))
            {
                return $"runbook step {i + 1} needs a title, the check to run and the expected result";
            }
        }

        return null;
    }

    /// <summary>Stores what a connector pulled for a step (replacing an earlier pull while nothing is recorded on it).</summary>
    public static Decision<TaskRecord> RecordLiveState(TaskRecord record, int stepNumber, string connector, IReadOnlyList<LiveStateItem> items, string actor, DateTimeOffset pulledAt)
    {
        if (Refuse(record, stepNumber) is { } refusal)
        {
            return refusal;
        }

        var runbook = record.Runbook!;
        var step = runbook.Steps[stepNumber - 1];
        if (step.Connector is null)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"step {stepNumber} is a manual step; it has no live state");
        }

        if (items.Count == 0 || items.Select(i => i.ItemId).Distinct().Count() != items.Count)
        {
            return Decision.Refuse(RefusalCode.Invalid, "a pull needs at least one item and distinct item ids");
        }

        if (runbook.Outcomes.Any(o => o.StepNumber == stepNumber))
        {
            return Decision.Refuse(RefusalCode.Conflict, $"step {stepNumber} already has recorded outcomes; its live state is kept as it was reviewed");
        }

        var pull = new LiveStatePull(stepNumber, connector, pulledAt, [.. items]);
        var pulls = runbook.PullOf(stepNumber) is { } earlier ? runbook.Pulls.Replace(earlier, pull) : runbook.Pulls.Add(pull);
        var suggestedPass = items.Count(i => Suggest(step, i.Observed) == RunbookResult.Pass);
        var next = record with { Runbook = runbook with { Pulls = pulls }, Task = record.Task with { UpdatedAt = pulledAt } };
        var entry = GovernanceLedger.Entry("runbook.live-state-pulled", record.Id, actor,
            $"step {stepNumber}: {items.Count} items pulled by {connector}; expected values suggest {suggestedPass} pass / {items.Count - suggestedPass} fail", pulledAt,
            new JsonObject { ["step"] = stepNumber, ["connector"] = connector, ["items"] = items.Count });
        return Decision.Accept(next, [entry]);
    }

    /// <summary>Records a person's Pass/Fail on one item; a Fail (with its note) opens a sub-task linked to the step.</summary>
    public static Decision<RunbookOutcomeRecorded> RecordOutcome(TaskRecord record, int stepNumber, string itemId, RunbookResult result, string? note, Principal by, DateTimeOffset now)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators record runbook outcomes");
        }

        if (Refuse(record, stepNumber) is { } refusal)
        {
            return refusal;
        }

        var runbook = record.Runbook!;
        var step = runbook.Steps[stepNumber - 1];
        var unfinished = runbook.Steps.Take(stepNumber - 1).FirstOrDefault(s => !runbook.IsStepComplete(s));
        if (unfinished is not null)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"steps run in order; step {unfinished.Number} ({unfinished.Title}) is not fully recorded yet");
        }

        var items = runbook.ItemsOf(step);
        if (items.Count == 0)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"step {stepNumber} has no live state yet; pull it from {step.Connector} first");
        }

        if (!items.Contains(itemId))
        {
            return Decision.Refuse(RefusalCode.NotFound, $"step {stepNumber} has no item '{itemId}'");
        }

        if (runbook.Outcomes.FirstOrDefault(o => o.StepNumber == stepNumber && o.ItemId == itemId) is { } recorded)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"step {stepNumber} item {itemId} was recorded {recorded.Result} by {recorded.Actor} at {GovernanceLedger.Time(recorded.At)}");
        }

        if (result == RunbookResult.Fail && string.IsNullOrWhiteSpace(note))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a Fail needs a note saying what is wrong; it becomes the sub-task");
        }

        if (TextLimits.TooLong("note", note, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        var observed = runbook.PullOf(stepNumber)?.Items.First(i => i.ItemId == itemId).Observed ?? ImmutableSortedDictionary<string, string>.Empty;
        var suggested = step.Connector is null ? (RunbookResult?)null : Suggest(step, observed);
        var outcome = new RunbookItemOutcome(stepNumber, itemId, result, suggested, note?.Trim(), observed, by.Id, now);
        var ledger = new List<LedgerEntry>();
        var notifications = new List<Notification>();
        var task = record.Task;
        TaskRecord? subTask = null;
        DependencyEdge? edge = null;
        if (result == RunbookResult.Fail)
        {
            var subTaskId = $"{task.Id}-S{stepNumber}-{task.SubTaskCount + 1}";
            outcome = outcome with { SubTaskId = subTaskId };
            subTask = SubTask(record, step, itemId, subTaskId, note!, by, now);
            edge = new DependencyEdge(subTaskId, task.Id);
            task = task with
            {
                UpstreamIds = task.UpstreamIds.Add(subTaskId),
                PendingUpstreamIds = task.PendingUpstreamIds.Add(subTaskId),
                SubTaskCount = task.SubTaskCount + 1,
            };
        }

        var data = new JsonObject
        {
            ["step"] = stepNumber,
            ["item"] = itemId,
            ["result"] = result.ToString(),
            ["suggested"] = suggested?.ToString(),
            ["observed"] = new JsonObject([.. observed.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
            ["subTask"] = outcome.SubTaskId,
        };
        ledger.Add(GovernanceLedger.Entry("runbook.item-recorded", record.Id, by.Id, note ?? $"step {stepNumber} {itemId}: {result}", now, data));
        if (subTask is not null)
        {
            ledger.Add(GovernanceLedger.Entry("task.created", subTask.Id, by.Id, $"opened by a Fail on {record.Id} step {stepNumber}, item {itemId}: {note}", now,
                new JsonObject { ["parent"] = record.Id, ["step"] = stepNumber, ["item"] = itemId, ["to"] = subTask.Task.State.ToString() }));
            notifications.Add(new Notification("task.opened", subTask.Task.OwnerId, $"{subTask.Id}: {subTask.Task.Title}",
                $"Runbook step {stepNumber} of {record.Id} failed on {itemId}: {note}. {record.Id} cannot seal until this sub-task seals.",
                new JsonObject { ["task"] = subTask.Id, ["parent"] = record.Id, ["step"] = stepNumber }));
        }

        var next = record with
        {
            Task = task with { UpdatedAt = now },
            Runbook = runbook with { Outcomes = runbook.Outcomes.Add(outcome) },
        };
        return Decision.Accept(new RunbookOutcomeRecorded(next, subTask, edge), ledger, notifications);
    }

    public static RunbookStatus Evaluate(Runbook runbook)
    {
        var steps = runbook.Steps.Select(step =>
        {
            var items = runbook.ItemsOf(step);
            var outcomes = runbook.Outcomes.Where(o => o.StepNumber == step.Number).ToList();
            return new RunbookStepProgress(
                step,
                items.Count,
                outcomes.Count(o => o.Result == RunbookResult.Pass),
                outcomes.Count(o => o.Result == RunbookResult.Fail),
                runbook.PullOf(step.Number));
        }).ToImmutableArray();
        return new RunbookStatus(steps, runbook.Outcomes.Select(o => (DateTimeOffset?)o.At).Max());
    }

    /// <summary>Pass when every expected key is observed with the expected value (case-insensitive).</summary>
    public static RunbookResult Suggest(RunbookStep step, IReadOnlyDictionary<string, string> observed) =>
        step.Expected.All(e => observed.TryGetValue(e.Key, out var value) && string.Equals(value, e.Value, StringComparison.OrdinalIgnoreCase))
            ? RunbookResult.Pass
            : RunbookResult.Fail;

    private static TaskRecord SubTask(TaskRecord parent, RunbookStep step, string itemId, string id, string note, Principal by, DateTimeOffset now) => new()
    {
        Task = new GovernedTask
        {
            Id = id,
            PlanId = parent.Task.PlanId,
            WaveId = parent.Task.WaveId,
            Title = $"Fix {itemId}: {step.Title} ({note.Trim()})",
            OwnerId = step.OwnerId ?? parent.Task.OwnerId,
            RequesterId = by.Id,
            State = TaskState.Ready,
            CreatedAt = now,
            UpdatedAt = now,
            Parent = new TaskParent(parent.Id, step.Number, itemId),
        },
        Requirements =
        [
            new EvidenceRequirement("fix-evidence", $"Live state of {itemId} meets: {step.ExpectedText}", EvidenceKind.FileExport),
        ],
    };

    private static Refusal? Refuse(TaskRecord record, int stepNumber)
    {
        if (record.Runbook is not { } runbook)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"{record.Id} has no runbook");
        }

        if (stepNumber < 1 || stepNumber > runbook.Steps.Length)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"{record.Id}'s runbook has steps 1..{runbook.Steps.Length}, not {stepNumber}");
        }

        return record.Task.State is TaskState.Active or TaskState.Held
            ? null
            : Decision.Refuse(RefusalCode.Conflict, $"{record.Id} is {record.Task.State}; its runbook runs while it is Active or Held");
    }
}

/// <summary>The parent with the outcome recorded, and, after a Fail, the sub-task to create and its edge (sub-task → parent).</summary>
public sealed record RunbookOutcomeRecorded(TaskRecord Task, TaskRecord? SubTask, DependencyEdge? Edge);

public sealed record RunbookStepProgress(RunbookStep Step, int Items, int Passed, int Failed, LiveStatePull? Pull)
{
    public int Recorded => Passed + Failed;

    public bool IsComplete => Items > 0 && Recorded == Items;

    /// <summary>"13 pass / 1 fail".</summary>
    public string Tally => $"{Passed} pass / {Failed} fail";
}

public sealed record RunbookStatus(ImmutableArray<RunbookStepProgress> Steps, DateTimeOffset? LastRecordedAt)
{
    public int Completed => Steps.Count(s => s.IsComplete);

    public bool IsClear => Completed == Steps.Length;

    /// <summary>The first step not fully recorded, or null when all are.</summary>
    public RunbookStepProgress? Current => Steps.FirstOrDefault(s => !s.IsComplete);

    /// <summary>"step 3 of 6", or "6 / 6 steps recorded".</summary>
    public string Progress => Current is { } current ? $"step {current.Step.Number} of {Steps.Length}" : $"{Steps.Length} / {Steps.Length} steps recorded";

    /// <summary>Items still to record: pulled items without an outcome, plus manual steps and steps not pulled yet (one each).</summary>
    public int ItemsOutstanding => Steps.Sum(s => s.Items == 0 ? 1 : s.Items - s.Recorded);
}
