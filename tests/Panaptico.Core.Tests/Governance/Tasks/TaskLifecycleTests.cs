using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Tests.Governance.Tasks;

public sealed class TaskLifecycleTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    [Fact]
    public void Every_transition_is_a_governance_ledger_entry_with_its_actor_and_reason()
    {
        var task = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;
        task = _journal.Ok(TaskLifecycle.MarkReady(task, Sample.Operator, "requirements declared", _time.GetUtcNow()));
        task = _journal.Ok(TaskLifecycle.Start(task, Sample.Owner, "window opened", _time.GetUtcNow()));
        task = _journal.Ok(TaskLifecycle.Hold(task, Sample.Owner, "waiting on the bake", _time.GetUtcNow()));
        task = _journal.Ok(TaskLifecycle.Resume(task, Sample.Owner, "bake done", _time.GetUtcNow()));
        task = _journal.Ok(TaskLifecycle.Cancel(task, Sample.Operator, "superseded by TASK-0419", _time.GetUtcNow()));

        Assert.Equal((TaskState.Cancelled, ClosureKind.Cancelled), (task.Task.State, task.Task.Closure!.Kind));
        Assert.Equal(
            [
                ("task.created", "op.rivera", null, "Draft"),
                ("task.ready", "op.rivera", "Draft", "Ready"),
                ("task.started", "tnguyen", "Ready", "Active"),
                ("task.held", "tnguyen", "Active", "Held"),
                ("task.resumed", "tnguyen", "Held", "Active"),
                ("task.cancelled", "op.rivera", "Active", "Cancelled"),
            ],
            _journal.Ledger.Select(e => (e.Kind, e.Actor, (string?)e.Data!["from"], (string?)e.Data["to"])));
        Assert.Equal("superseded by TASK-0419", (string?)_journal.Ledger[^1].Data!["reason"]);
        Assert.All(_journal.Ledger, e => Assert.Equal(("governance", "TASK-0412"), (e.Stream, e.Subject)));
    }

    [Fact]
    public void A_transition_without_a_reason_or_by_a_non_operator_is_refused()
    {
        var task = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;

        Journal.Refused(TaskLifecycle.MarkReady(task, Sample.Operator, " ", _time.GetUtcNow()), RefusalCode.Invalid);
        var auditor = Journal.Refused(TaskLifecycle.MarkReady(task, Sample.Auditor, "ready", _time.GetUtcNow()), RefusalCode.Forbidden);
        var wrongState = Journal.Refused(TaskLifecycle.Hold(task, Sample.Operator, "pause", _time.GetUtcNow()), RefusalCode.Conflict);

        Assert.Equal("audit.ward is not an operator; only operators run tasks", auditor.Message);
        Assert.Equal("TASK-0412 is Draft; this needs it to be Active", wrongState.Message);
    }

    [Fact]
    public void A_task_without_evidence_requirements_cannot_become_ready()
    {
        var task = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412") with { Requirements = [] }, [], Sample.Operator, _time.GetUtcNow())).Record;

        var refusal = Journal.Refused(TaskLifecycle.MarkReady(task, Sample.Operator, "ready", _time.GetUtcNow()), RefusalCode.Invalid);

        Assert.Equal("TASK-0412 declares no evidence requirement; nothing ships without its evidence", refusal.Message);
    }

    [Fact]
    public void A_locked_completion_answers_every_unlock_condition_in_words_and_data()
    {
        var task = Sample.Active(_journal, Sample.Task("TASK-0412") with { Requirements = Sample.Task0412Requirements }, _time.GetUtcNow());

        var refusal = Journal.Refused(TaskLifecycle.Complete(task, [], Sample.Operator, _time.GetUtcNow()), RefusalCode.GateOpen);

        Assert.Equal("unlocks when 3 evidence artifacts arrive", refusal.Message);
        Assert.Equal(
            ["KMS ListKeys · pre-snapshot: not captured", "CloudTrail RotateKey · 14 events: not captured", "Job telemetry · 48h post-bake: window not started (48h once the bake starts)"],
            refusal.Data!["conditions"]!.AsArray().Select(c => (string?)c!["text"]));
        Assert.Equal(3, (int)refusal.Data["evidenceArtifacts"]!);
        Journal.Refused(TaskLifecycle.Seal(task, Sample.DigestOf("x"), Sample.Operator, _time.GetUtcNow()), RefusalCode.GateOpen);
    }

    [Fact]
    public void Completing_a_blocked_task_says_its_state_and_every_unlock_condition_in_words_and_data()
    {
        var upstream = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0398"), [], Sample.Operator, _time.GetUtcNow())).Record;
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412", "W1", ["TASK-0398"]), [upstream.Task], Sample.Operator, _time.GetUtcNow()));
        var blocked = _journal.Ok(TaskLifecycle.MarkReady(created.Record, Sample.Operator, "declared", _time.GetUtcNow()));

        var refusal = Journal.Refused(TaskLifecycle.Complete(blocked, [upstream.Task], Sample.Operator, _time.GetUtcNow()), RefusalCode.Conflict);

        Assert.Equal(TaskState.Blocked, blocked.Task.State);
        Assert.Equal("TASK-0412 is Blocked; this needs it to be Active or Held; unlocks when 1 evidence artifact arrives + 1 upstream task seals", refusal.Message);
        Assert.Equal(("Blocked", "Active"), ((string?)refusal.Data!["state"], (string?)refusal.Data["needs"]![0]));
        Assert.Equal("unlocks when 1 evidence artifact arrives + 1 upstream task seals", (string?)refusal.Data["unlocks"]);
        Assert.Contains(refusal.Data["conditions"]!.AsArray(), c => (string?)c!["gate"] == "dependency" && (string?)c["subject"] == "TASK-0398");
        Assert.NotNull(refusal.Lock);
    }

    [Fact]
    public void Sealing_needs_a_sha256_bundle_digest()
    {
        var task = Sample.Active(_journal, Sample.Task("TASK-0412"), _time.GetUtcNow());
        task = _journal.Ok(EvidenceGate.Capture(task, "export", Sample.ConfigFile(), Sample.Operator, _time.GetUtcNow()));

        Journal.Refused(TaskLifecycle.Seal(task, "sha256:abc", Sample.Operator, _time.GetUtcNow()), RefusalCode.Invalid);
    }

    [Fact]
    public void A_task_record_persists_as_plain_json_and_reads_back_the_same()
    {
        var task = Sample.Active(_journal, Sample.Task("TASK-0412") with { Requirements = Sample.Task0412Requirements }, _time.GetUtcNow());
        task = _journal.Ok(Panaptico.Core.Governance.Tasks.TaskApprovals.Route(task, Sample.Rules, Sample.KmsChange, Sample.Pack, Sample.Operator, _time.GetUtcNow()));
        task = _journal.Ok(EvidenceGate.Capture(task, "kms-pre", Sample.Keys(312), Sample.Operator, _time.GetUtcNow()));
        task = _journal.Ok(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "cost contained", task.Approvals!.ContextPackHash, _time.GetUtcNow()));
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var json = JsonSerializer.Serialize(task, options);
        var back = JsonSerializer.Deserialize<TaskRecord>(json, options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, options));
        Assert.Equal(
            Panaptico.Core.Governance.Completion.CompletionLock.Evaluate(task, _time.GetUtcNow()).Summary,
            Panaptico.Core.Governance.Completion.CompletionLock.Evaluate(back, _time.GetUtcNow()).Summary);
    }
}
