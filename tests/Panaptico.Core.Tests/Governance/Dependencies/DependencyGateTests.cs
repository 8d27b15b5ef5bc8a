using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Tests.Governance.Dependencies;

public sealed class DependencyGateTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    private TaskRecord Ready(string id, params GovernedTask[] upstreams)
    {
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task(id, "W1", [.. upstreams.Select(u => u.Id)]), upstreams, Sample.Operator, _time.GetUtcNow()));
        return _journal.Ok(TaskLifecycle.MarkReady(created.Record, Sample.Operator, "declared", _time.GetUtcNow()));
    }

    [Fact]
    public void A_dependency_that_closes_a_cycle_is_refused_naming_the_cycle()
    {
        var a = Ready("TASK-A");
        var b = Ready("TASK-B", a.Task);
        var c = Ready("TASK-C", b.Task);
        var graph = _journal.Ok(DependencyGraph.Build([new("TASK-A", "TASK-B"), new("TASK-B", "TASK-C")]));

        var refusal = Journal.Refused(DependencyGate.AddDependency(graph, c.Task, a.Task, Sample.Operator, "A needs C", _time.GetUtcNow()), RefusalCode.Cycle);

        Assert.Equal("TASK-A cannot depend on TASK-C: it would close the cycle TASK-C → TASK-A → TASK-B → TASK-C", refusal.Message);
        Assert.Equal(["TASK-C", "TASK-A", "TASK-B", "TASK-C"], refusal.Data!["cycle"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(2, graph.EdgeCount);
    }

    [Fact]
    public void A_task_cannot_be_created_depending_on_itself()
    {
        var refusal = Journal.Refused(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-A", "W1", "TASK-A"), [], Sample.Operator, _time.GetUtcNow()), RefusalCode.Cycle);

        Assert.Equal("TASK-A cannot depend on itself: TASK-A → TASK-A", refusal.Message);
    }

    [Fact]
    public void A_stored_edge_set_holding_a_cycle_is_refused_naming_it()
    {
        var refusal = Journal.Refused(DependencyGraph.Build([new("T1", "T2"), new("T2", "T3"), new("T3", "T1"), new("T0", "T1")]), RefusalCode.Cycle);

        Assert.Contains("T1 → T2 → T3 → T1", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_an_unsealed_upstream_blocks_a_ready_task()
    {
        var a = Ready("TASK-A");
        var b = Ready("TASK-B");
        var graph = _journal.Ok(DependencyGraph.Build([]));

        var added = _journal.Ok(DependencyGate.AddDependency(graph, a.Task, b.Task, Sample.Operator, "B reads what A writes", _time.GetUtcNow()));

        Assert.Equal((TaskState.Blocked, new DependencyEdge("TASK-A", "TASK-B")), (added.Downstream.State, added.Edge));
        Assert.Equal<string>(["TASK-A"], added.Downstream.PendingUpstreamIds);
        Assert.Equal(["dependency.added", "task.blocked"], _journal.Ledger.TakeLast(2).Select(e => e.Kind));
    }

    [Fact]
    public void A_seal_releases_only_the_downstream_tasks_whose_last_upstream_it_was()
    {
        var a = Sample.Active(_journal, Sample.Task("TASK-A"), _time.GetUtcNow());
        var b = Sample.Active(_journal, Sample.Task("TASK-B"), _time.GetUtcNow());
        var onBoth = Ready("TASK-D", a.Task, b.Task);
        var onA = Ready("TASK-E", a.Task);
        var sealedA = Sample.SealWithExport(_journal, a, _time.GetUtcNow());
        var before = _journal.Ledger.Count;

        var decision = DependencyGate.OnUpstreamSealed(sealedA.Task, [onBoth.Task, onA.Task], _time.GetUtcNow());
        var release = _journal.Ok(decision);

        Assert.Equal((2, 2), (release.Touched, release.Updated.Length));
        Assert.Equal<string>(["TASK-E"], release.Released);
        var d = release.Updated.Single(t => t.Id == "TASK-D");
        Assert.Equal((TaskState.Blocked, "TASK-B"), (d.State, d.PendingUpstreamIds.Single()));
        Assert.Equal(TaskState.Ready, release.Updated.Single(t => t.Id == "TASK-E").State);
        var entry = Assert.Single(_journal.Ledger.Skip(before));
        Assert.Equal(("task.released", "TASK-E", "system:governance", "every upstream sealed; last was TASK-A"), (entry.Kind, entry.Subject, entry.Actor, (string?)entry.Data!["reason"]));
        var notice = Assert.Single(decision.Notifications);
        Assert.Equal(("task.released", "tnguyen", sealedA.Task.Seal!.BundleDigest), (notice.Kind, notice.Recipient, (string?)notice.Data!["bundleDigest"]));
    }

    [Fact]
    public void Re_evaluating_the_same_seal_again_changes_nothing()
    {
        var a = Sample.Active(_journal, Sample.Task("TASK-A"), _time.GetUtcNow());
        var e = Ready("TASK-E", a.Task);
        var sealedA = Sample.SealWithExport(_journal, a, _time.GetUtcNow());
        var released = _journal.Ok(DependencyGate.OnUpstreamSealed(sealedA.Task, [e.Task], _time.GetUtcNow())).Updated.Single();

        var again = DependencyGate.OnUpstreamSealed(sealedA.Task, [released], _time.GetUtcNow());

        Assert.True(again.IsAccepted);
        Assert.Empty(again.Value!.Updated);
        Assert.Empty(again.Ledger);
        Assert.Empty(again.Notifications);
    }

    [Fact]
    public void A_seal_that_did_not_happen_releases_nothing()
    {
        var a = Sample.Active(_journal, Sample.Task("TASK-A"), _time.GetUtcNow());
        var e = Ready("TASK-E", a.Task);

        Journal.Refused(DependencyGate.OnUpstreamSealed(a.Task, [e.Task], _time.GetUtcNow()), RefusalCode.Conflict);
    }

    [Fact]
    public void The_wave_exit_gate_waits_on_every_task_of_the_wave()
    {
        var a = Sample.Active(_journal, Sample.Task("TASK-A"), _time.GetUtcNow());
        var b = Sample.Active(_journal, Sample.Task("TASK-B"), _time.GetUtcNow());
        var c = Ready("TASK-C");
        var other = Ready("TASK-X") with { };
        var wave = Sample.Plan.FindWave("W1")!;
        var sealedA = Sample.SealWithExport(_journal, a, _time.GetUtcNow());

        var open = WaveExitGate.Evaluate(wave, [sealedA.Task, b.Task, c.Task, other.Task with { WaveId = "W2" }]);
        Assert.Equal(("1 / 3 sealed", false), (open.Progress, open.IsClear));
        Assert.Equal<string>(["TASK-B", "TASK-C"], open.Waiting);

        var sealedB = Sample.SealWithExport(_journal, b, _time.GetUtcNow());
        var cancelled = _journal.Ok(TaskLifecycle.Cancel(c, Sample.Operator, "superseded by TASK-0414", _time.GetUtcNow()));
        var exit = WaveExitGate.Evaluate(wave, [sealedA.Task, sealedB.Task, cancelled.Task]);

        Assert.True(exit.IsClear);
        Assert.Equal<string>(["TASK-C"], exit.ClosedWithoutSeal);
        Assert.Equal(["TASK-A", "TASK-B"], exit.Seals.Select(s => s.Subject.Id));
    }
}
