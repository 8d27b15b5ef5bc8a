using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Tests.Governance.Runbooks;

public sealed class RunbookRunTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    private static readonly ImmutableArray<RunbookStep> s_steps =
    [
        new(1, "Announce the change window", "Post the window in #finance-platform", "Announcement posted", "posted"),
        new(2, "Verify rotation flag on each CMK", "For each finance CMK confirm rotation is enabled with period 365d", "kms:GetKeyRotationStatus per key", "rotation = enabled, period = 365d")
        {
            Expected = ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("rotation", "enabled"), KeyValuePair.Create("period", "365d")]),
            Connector = "aws-kms",
            OwnerId = "malvarez",
        },
    ];

    private static LiveStateItem Key(string id, string rotation) =>
        new(id, ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("rotation", rotation), KeyValuePair.Create("period", "365d")]));

    private TaskRecord Active() =>
        Sample.Active(_journal, Sample.Task("TASK-0412") with { RunbookSteps = s_steps }, _time.GetUtcNow());

    private TaskRecord PulledAndAnnounced()
    {
        var task = _journal.Ok(RunbookRun.RecordOutcome(Active(), 1, RunbookStep.ManualItem, RunbookResult.Pass, null, Sample.Owner, _time.GetUtcNow())).Task;
        return _journal.Ok(RunbookRun.RecordLiveState(task, 2, "aws-kms", [Key("key/4a12", "enabled"), Key("key/2e19", "disabled")], "system:aws-kms", _time.GetUtcNow()));
    }

    [Fact]
    public void Steps_run_in_order()
    {
        var task = _journal.Ok(RunbookRun.RecordLiveState(Active(), 2, "aws-kms", [Key("key/4a12", "enabled")], "system:aws-kms", _time.GetUtcNow()));

        var refusal = Journal.Refused(RunbookRun.RecordOutcome(task, 2, "key/4a12", RunbookResult.Pass, null, Sample.Owner, _time.GetUtcNow()), RefusalCode.Conflict);

        Assert.Equal("steps run in order; step 1 (Announce the change window) is not fully recorded yet", refusal.Message);
    }

    [Fact]
    public void Each_outcome_is_recorded_with_actor_time_observed_state_and_a_ledger_entry()
    {
        var task = PulledAndAnnounced();
        Assert.Equal("step 2: 2 items pulled by aws-kms; expected values suggest 1 pass / 1 fail", (string?)_journal.Ledger[^1].Data!["reason"]);
        _time.Advance(TimeSpan.FromSeconds(3));

        task = _journal.Ok(RunbookRun.RecordOutcome(task, 2, "key/4a12", RunbookResult.Pass, null, Sample.Owner, _time.GetUtcNow())).Task;

        var outcome = task.Runbook!.Outcomes[^1];
        Assert.Equal((RunbookResult.Pass, RunbookResult.Pass, "tnguyen", _time.GetUtcNow(), "enabled"), (outcome.Result, outcome.Suggested, outcome.Actor, outcome.At, outcome.Observed["rotation"]));
        var entry = _journal.Ledger[^1];
        Assert.Equal(("runbook.item-recorded", "TASK-0412", "tnguyen", "Pass"), (entry.Kind, entry.Subject, entry.Actor, (string?)entry.Data!["result"]));
        var status = RunbookRun.Evaluate(task.Runbook);
        Assert.Equal(("step 2 of 2", "1 pass / 0 fail", 1), (status.Progress, status.Steps[1].Tally, status.ItemsOutstanding));
        Journal.Refused(RunbookRun.RecordOutcome(task, 2, "key/4a12", RunbookResult.Fail, "again", Sample.Owner, _time.GetUtcNow()), RefusalCode.Conflict);
    }

    [Fact]
    public void A_fail_opens_a_sub_task_linked_to_the_step_that_the_parent_then_waits_on()
    {
        var task = PulledAndAnnounced();
        Journal.Refused(RunbookRun.RecordOutcome(task, 2, "key/2e19", RunbookResult.Fail, null, Sample.Owner, _time.GetUtcNow()), RefusalCode.Invalid);

        var recorded = _journal.Ok(RunbookRun.RecordOutcome(task, 2, "key/2e19", RunbookResult.Fail, "rotation disabled", Sample.Owner, _time.GetUtcNow()));

        var sub = Assert.Single(recorded.SubTasks).SubTask;
        Assert.Equal(("TASK-0412-S2-1", "malvarez", TaskState.Ready), (sub.Id, sub.Task.OwnerId, sub.Task.State));
        Assert.Equal(new TaskParent("TASK-0412", 2, "key/2e19"), sub.Task.Parent);
        Assert.Equal("Fix key/2e19: Verify rotation flag on each CMK (rotation disabled)", sub.Task.Title);
        Assert.Equal(new DependencyEdge("TASK-0412-S2-1", "TASK-0412"), recorded.SubTasks[0].Edge);
        Assert.Equal("TASK-0412-S2-1", recorded.Task.Runbook!.Outcomes[^1].SubTaskId);
        Assert.Equal<string>(["TASK-0412-S2-1"], recorded.Task.Task.PendingUpstreamIds);
        Assert.Equal(["runbook.item-recorded", "task.created"], _journal.Ledger.TakeLast(2).Select(e => e.Kind));
        Assert.Contains(_journal.Notifications, n => n is { Kind: "task.opened", Recipient: "malvarez" });
        var completion = CompletionLock.Evaluate(recorded.Task, _time.GetUtcNow());
        Assert.Contains(completion.Conditions, c => c is { Gate: GateKind.Dependency, Subject: "TASK-0412-S2-1" });

        // Sealing the sub-task clears the parent's dependency without moving the active parent.
        var subActive = _journal.Ok(TaskLifecycle.Start(sub, Sample.Operator, "fixing", _time.GetUtcNow()));
        subActive = _journal.Ok(EvidenceGate.Capture(subActive, "fix-evidence", Sample.ConfigFile("key-2e19.json"), Sample.Operator, _time.GetUtcNow()));
        var subSealed = _journal.Ok(TaskLifecycle.Seal(subActive, Sample.DigestOf(sub.Id), Sample.Operator, _time.GetUtcNow()));
        var parent = _journal.Ok(DependencyGate.OnUpstreamSealed(subSealed.Task, [recorded.Task.Task], _time.GetUtcNow())).Updated.Single();
        Assert.Equal((TaskState.Active, 0), (parent.State, parent.PendingUpstreamIds.Length));
    }

    [Fact]
    public void An_unrecorded_runbook_keeps_completion_locked()
    {
        var completion = CompletionLock.Evaluate(Active(), _time.GetUtcNow());

        Assert.Equal(
            ["runbook step 1 (Announce the change window): 1 item to record", "runbook step 2 (Verify rotation flag on each CMK): pull live state from aws-kms and record each item"],
            completion.Conditions.Where(c => c.Gate == GateKind.Runbook).Select(c => c.Text));
        Assert.Equal("unlocks when 1 evidence artifact arrives + 2 runbook items are recorded", completion.Summary);
    }
}
