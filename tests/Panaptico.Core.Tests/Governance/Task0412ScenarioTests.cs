using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Governance.Views;

namespace Panaptico.Core.Tests.Governance;

/// <summary>
/// Run TASK-0412 of PLAN-0491, "Enforce KMS auto-rotation · 14 finance-domain CMKs", at domain level: three upstream
/// tasks, three evidence requirements (one a 48 h telemetry window moved by a fake clock), two routed approvals, two
/// downstream tasks blocked until the seal and released by it.
/// </summary>
public sealed class Task0412ScenarioTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    [Fact]
    public async Task Task_0412_is_locked_until_its_evidence_and_approvals_arrive_then_seals_and_releases_downstream()
    {
        var now = _time.GetUtcNow;

        // Three upstream tasks, and TASK-0412 blocked on them.
        var t0408 = Sample.Active(_journal, Sample.Task("TASK-0408") with { Title = "Snapshot secret refs" }, now());
        var t0410 = Sample.Active(_journal, Sample.Task("TASK-0410") with { Title = "Confirm Secrets Manager usage" }, now());
        var t0411 = Sample.Active(_journal, Sample.Task("TASK-0411") with { Title = "CHG-00582 approved" }, now());
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, new NewTask("TASK-0412", "PLAN-0491", "W1", "Enforce KMS auto-rotation · 14 finance-domain CMKs", Sample.Owner.Id)
        {
            UpstreamIds = ["TASK-0408", "TASK-0410", "TASK-0411"],
            Requirements = Sample.Task0412Requirements,
        }, [t0408.Task, t0410.Task, t0411.Task], Sample.Operator, now()));
        Assert.Equal(3, created.Edges.Length);
        var t0412 = _journal.Ok(TaskLifecycle.MarkReady(created.Record, Sample.Operator, "requirements declared", now()));
        Assert.Equal(TaskState.Blocked, t0412.Task.State);
        var startedEarly = TaskLifecycle.Start(t0412, Sample.Operator, "eager", now());
        Assert.Contains("Blocked until TASK-0408, TASK-0410, TASK-0411 seal", Journal.Refused(startedEarly, RefusalCode.Conflict).Message);

        // Two downstream tasks with two requirements each, blocked on TASK-0412.
        TaskRecord Downstream(string id, string title) => _journal.Ok(TaskLifecycle.MarkReady(_journal.Ok(TaskLifecycle.Create(Sample.Plan,
            new NewTask(id, "PLAN-0491", "W2", title, $"owner-{id}")
            {
                UpstreamIds = ["TASK-0412"],
                Requirements = [Sample.AnyFile, Sample.AnyFile with { Id = "after", Title = "After export" }],
            }, [t0412.Task], Sample.Operator, now())).Record, Sample.Operator, "requirements declared", now()));
        var t0414 = Downstream("TASK-0414", "Revoke 42 Databricks SPs");
        var t0418 = Downstream("TASK-0418", "Migrate 11 Jenkins pipelines");
        Assert.All([t0414, t0418], d => Assert.Equal(TaskState.Blocked, d.Task.State));

        // The upstreams seal one by one; only the last seal releases TASK-0412.
        foreach (var upstream in new[] { t0408, t0410, t0411 })
        {
            var sealedUpstream = Sample.SealWithExport(_journal, upstream, now());
            var release = _journal.Ok(DependencyGate.OnUpstreamSealed(sealedUpstream.Task, [t0412.Task], now()));
            t0412 = t0412 with { Task = release.Updated.Single() };
            if (upstream == t0408) { t0408 = sealedUpstream; } else if (upstream == t0410) { t0410 = sealedUpstream; } else { t0411 = sealedUpstream; }
        }

        Assert.Equal(TaskState.Ready, t0412.Task.State);
        Assert.Contains(_journal.Notifications, n => n is { Kind: "task.released", Recipient: "tnguyen" } && n.Subject == "TASK-0412 can start");
        var upstreams = new[] { t0408.Task, t0410.Task, t0411.Task };

        // Approvals routed with their reasons.
        t0412 = _journal.Ok(TaskApprovals.Route(t0412, Sample.Rules, Sample.KmsChange, Sample.Pack, Sample.Operator, now()));
        Assert.Collection(t0412.Approvals!.Seats,
            park =>
            {
                Assert.Equal("D. Park", park.Approver.Name);
                Assert.Equal("Owns cost envelope & perf SLO for finance", park.RoutedBecause);
                Assert.Equal(("domain-cost-owner", "2026.04.2"), (park.RuleId, park.RulesVersion));
            },
            security =>
            {
                Assert.Equal("Security Engineering", security.Approver.Name);
                Assert.Equal("KMS policy change intersects SOC2 CC6.7 + ISO27001 A.10.1.2", security.RoutedBecause);
                Assert.Equal("kms-policy-controls", security.RuleId);
            });
        Assert.Contains(_journal.Notifications, n => n is { Kind: "approval.requested", Recipient: "security-engineering" });

        // Work: two exports captured, the bake starts, D. Park signs at 14:22Z.
        t0412 = _journal.Ok(TaskLifecycle.Start(t0412, Sample.Operator, "rotation job scheduled", now()));
        t0412 = _journal.Ok(EvidenceGate.Capture(t0412, "kms-pre", Sample.Keys(312), Sample.Operator, now()));
        t0412 = _journal.Ok(EvidenceGate.Capture(t0412, "cloudtrail-rotatekey", Sample.RotateKeyEvents(14), Sample.Operator, now()));
        _time.SetUtcNow(new DateTimeOffset(2026, 4, 21, 14, 22, 0, TimeSpan.Zero));
        t0412 = _journal.Ok(TaskApprovals.Approve(t0412, Sample.DPark, "domain-cost-owner",
            "Rotation window lands in low-traffic hours; cost delta contained to the finance envelope.", t0412.Approvals!.ContextPackHash, now()));
        var bakeStart = new DateTimeOffset(2026, 4, 21, 16, 0, 0, TimeSpan.Zero);
        _time.SetUtcNow(bakeStart);
        t0412 = _journal.Ok(EvidenceGate.StartTelemetryWindow(t0412, "job-telemetry", bakeStart, Sample.Operator, "rotation applied; bake starts", now()));

        // 24 h into the bake: held, with the lock's exact unlock conditions.
        _time.Advance(TimeSpan.FromHours(24));
        t0412 = _journal.Ok(EvidenceGate.Capture(t0412, "job-telemetry", Sample.Telemetry(bakeStart, now()), Sample.Operator, now()));
        t0412 = _journal.Ok(TaskLifecycle.Hold(t0412, Sample.Operator, "waiting on the bake and Security Engineering", now()));
        var downstream = new[] { t0414, t0418 };
        var held = TaskView.Build(t0412, upstreams, downstream, now());
        Assert.Equal("Held · 2 gates", held.StateLabel);
        Assert.Equal("2 / 3 captured", held.Evidence.Progress);
        Assert.Equal(["312 keys", "14 rows", "24h remaining"], held.Evidence.Requirements.Select(r => r.Detail));
        Assert.Equal("1 / 2 signed", held.Approvals!.Progress);
        Assert.StartsWith("Approved · 2026-04-21 14:22Z", held.Approvals.Seats[0].Status, StringComparison.Ordinal);
        Assert.StartsWith("Awaiting · routed 2026-04-21 13:00Z", held.Approvals.Seats[1].Status, StringComparison.Ordinal);
        Assert.Equal("3 / 3 cleared", held.Dependencies.Progress);
        Assert.Equal("Blocked downstream: 2 tasks, 4 evidence artifacts", held.BlockedDownstream.Text);
        Assert.Equal("unlocks when 1 evidence artifact arrives + 1 approval returns", held.Completion.Summary);

        var locked = Journal.Refused(TaskLifecycle.Complete(t0412, upstreams, Sample.Operator, now()), RefusalCode.GateOpen);
        Assert.Equal("unlocks when 1 evidence artifact arrives + 1 approval returns", locked.Message);
        Assert.Equal([(GateKind.Evidence, "job-telemetry"), (GateKind.Approval, "kms-policy-controls")], locked.Lock!.Conditions.Select(c => (c.Gate, c.Subject)));
        Assert.Equal("Job telemetry · 48h post-bake: 24h remaining, then capture the telemetry covering the window", locked.Lock.Conditions[0].Text);
        Assert.Equal(1, (int)locked.Data!["approvals"]!);

        // The window elapses with the condition held; M. Alvarez signs.
        _time.Advance(TimeSpan.FromHours(24));
        t0412 = _journal.Ok(EvidenceGate.Capture(t0412, "job-telemetry", Sample.Telemetry(bakeStart, now()), Sample.Operator, now()));
        t0412 = _journal.Ok(TaskApprovals.Approve(t0412, Sample.MAlvarez, "kms-policy-controls",
            "Key policy unchanged beyond rotation; CC6.7 and A.10.1.2 evidence in the bundle.", t0412.Approvals!.ContextPackHash, now()));
        var clear = TaskView.Build(t0412, upstreams, downstream, now());
        Assert.Equal(("3 / 3 captured", "2 / 2 signed", "Held"), (clear.Evidence.Progress, clear.Approvals!.Progress, clear.StateLabel));
        Assert.Equal("48h held · peak 0.4 ≤ 2", clear.Evidence.Requirements[2].Detail);

        // Complete answers what to seal; the evidence sealer signs it; the seal is recorded.
        var request = _journal.Ok(TaskLifecycle.Complete(t0412, upstreams, Sample.Operator, now()));
        Assert.Equal(["kms-listkeys.jsonl", "cloudtrail-rotatekey.ndjson", "job-telemetry.jsonl"], request.Artifacts.Select(a => a.Name));
        Assert.All(request.Approvals, a => Assert.Equal(t0412.Approvals!.ContextPackHash, a.ContextPackSha256));
        Assert.Equal("Owns cost envelope & perf SLO for finance [rule domain-cost-owner, rules 2026.04.2]", request.Approvals[0].RoutedBecause);
        Assert.Equal(["evidence", "approval", "dependency"], request.Gates.Select(g => g.Name));
        Assert.Equal(["TASK-0408", "TASK-0410", "TASK-0411"], request.UpstreamSeals.Select(s => s.Subject.Id));
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await new BundleSealer(signer, _time).SealAsync(request, ImmutabilityStatus.NotEnforced, CancellationToken.None);
        t0412 = _journal.Ok(TaskLifecycle.Seal(t0412, bundle.Digest, Sample.Operator, now()));
        Assert.Equal((TaskState.Sealed, bundle.Digest), (t0412.Task.State, t0412.Task.Seal!.BundleDigest));

        // The seal releases exactly the two downstream tasks and notifies their owners.
        var released = _journal.Ok(DependencyGate.OnUpstreamSealed(t0412.Task, [t0414.Task, t0418.Task], now()));
        Assert.Equal<string>(["TASK-0414", "TASK-0418"], released.Released);
        Assert.All(released.Updated, d => Assert.Equal(TaskState.Ready, d.State));
        Assert.Equal(["owner-TASK-0414", "owner-TASK-0418"], _journal.Notifications.Where(n => n.Kind == "task.released" && n.Subject != "TASK-0412 can start").Select(n => n.Recipient));

        // Every transition of TASK-0412 is on the ledger with its actor and reason.
        var transitions = _journal.Ledger.Where(e => e.Subject == "TASK-0412" && e.Kind.StartsWith("task.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["task.created", "task.blocked", "task.released", "task.started", "task.held", "task.sealed"], transitions.Select(e => e.Kind));
        Assert.All(_journal.Ledger, e => Assert.False(string.IsNullOrWhiteSpace((string?)e.Data!["reason"])));
        Assert.All(_journal.Ledger, e => Assert.Equal("governance", e.Stream));
        Assert.Equal(bundle.Digest, (string?)transitions[^1].Data!["bundleDigest"]);
    }
}
