using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Canonical;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Completion;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Core.Tests.Governance.Approvals;

public sealed class ApprovalGateTests
{
    private readonly FakeTimeProvider _time = new(Sample.Start);
    private readonly Journal _journal = new();

    private TaskRecord RoutedTask(Panaptico.Core.Identity.Principal? requester = null, ChangeAttributes? attributes = null)
    {
        var by = requester ?? Sample.Operator;
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], by, _time.GetUtcNow())).Record;
        return _journal.Ok(TaskApprovals.Route(created, Sample.Rules, attributes ?? Sample.KmsChange, Sample.Pack, by, _time.GetUtcNow()));
    }

    private static string Hash(TaskRecord task) => task.Approvals!.ContextPackHash;

    [Fact]
    public void The_requester_cannot_approve_their_own_task()
    {
        var requester = Sample.Person("jchen", "J. Chen", "operator", "approver");
        var task = RoutedTask(requester);

        var refusal = Journal.Refused(TaskApprovals.Approve(task, requester, "kms-policy-controls", "looks fine", Hash(task), _time.GetUtcNow()), RefusalCode.SegregationOfDuties);

        Assert.Equal("J. Chen requested TASK-0412; the requester cannot approve it", refusal.Message);
    }

    [Fact]
    public void One_person_cannot_fill_two_seats()
    {
        var wide = Sample.KmsChange with { ProductionSystemsTouched = 12 };
        var task = RoutedTask(attributes: wide);
        task = _journal.Ok(TaskApprovals.Approve(task, Sample.JChen, "kms-policy-controls", "controls covered", Hash(task), _time.GetUtcNow()));
        task = _journal.Ok(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "cost contained", Hash(task), _time.GetUtcNow()));

        // J. Chen also sits on the CTO council, whose ratification seat has now opened.
        var refusal = Journal.Refused(TaskApprovals.Approve(task, Sample.JChen, "wide-blast-radius", "ratified", Hash(task), _time.GetUtcNow()), RefusalCode.SegregationOfDuties);

        Assert.Equal("J. Chen already signed seat kms-policy-controls of TASK-0412; one person cannot fill two seats", refusal.Message);
    }

    [Fact]
    public void An_approver_must_hold_the_approver_role_and_be_routed_to_the_seat()
    {
        var task = RoutedTask();
        var operatorOnly = Sample.Person("malvarez", "M. Alvarez", "operator");

        var noRole = Journal.Refused(TaskApprovals.Approve(task, operatorOnly, "kms-policy-controls", "ok", Hash(task), _time.GetUtcNow()), RefusalCode.Forbidden);
        var notRouted = Journal.Refused(TaskApprovals.Approve(task, Sample.SKim, "kms-policy-controls", "ok", Hash(task), _time.GetUtcNow()), RefusalCode.Forbidden);

        Assert.Equal("M. Alvarez does not hold the approver role", noRole.Message);
        Assert.Equal("seat kms-policy-controls is routed to Security Engineering; S. Kim is not its approver", notRouted.Message);
    }

    [Fact]
    public void Approve_and_deny_need_a_rationale()
    {
        var task = RoutedTask();

        Journal.Refused(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "  ", Hash(task), _time.GetUtcNow()), RefusalCode.Invalid);
        Journal.Refused(TaskApprovals.Deny(task, Sample.DPark, "domain-cost-owner", "", Hash(task), _time.GetUtcNow()), RefusalCode.Invalid);
    }

    [Fact]
    public void An_approval_after_expiry_is_refused_and_changes_nothing()
    {
        var task = RoutedTask();
        _time.Advance(TimeSpan.FromDays(3));

        var refusal = Journal.Refused(TaskApprovals.Approve(task, Sample.MAlvarez, "kms-policy-controls", "late but fine", Hash(task), _time.GetUtcNow()), RefusalCode.Expired);

        Assert.Equal("seat kms-policy-controls expired at 2026-04-24T13:00:00.0000000Z; it is re-routed or reopened, not signed late", refusal.Message);
        Assert.Empty(task.Approvals!.Signatures);
        Assert.Equal(SeatState.Open, task.Approvals.Seats[1].State);
    }

    [Fact]
    public void The_expiry_sweep_reroutes_an_expired_seat_to_its_fallback_with_the_reason()
    {
        var task = RoutedTask();
        Assert.Same(task, _journal.Ok(TaskApprovals.ExpireDue(task, _time.GetUtcNow())));
        _time.Advance(TimeSpan.FromDays(3));
        var before = _journal.Ledger.Count;

        task = _journal.Ok(TaskApprovals.ExpireDue(task, _time.GetUtcNow()));

        var security = task.Approvals!.Seats.Single(s => s.Id == "kms-policy-controls");
        Assert.Equal(("security-oncall", "security-engineering"), (security.Approver.Id, security.ReroutedFrom!.Id));
        Assert.Equal("KMS policy change intersects SOC2 CC6.7 + ISO27001 A.10.1.2; re-routed to Security on-call after Security Engineering let it expire at 2026-04-24 13:00Z", security.RoutedBecause);
        Assert.Equal(_time.GetUtcNow().AddDays(3), security.ExpiresAt);
        Assert.Equal(["approval.rerouted", "approval.rerouted"], _journal.Ledger.Skip(before).Select(e => e.Kind));
        Assert.Contains(_journal.Notifications, n => n is { Kind: "approval.requested", Recipient: "security-oncall" });
        _journal.Ok(TaskApprovals.Approve(task, Sample.SKim, "kms-policy-controls", "on-call review done", Hash(task), _time.GetUtcNow()));
    }

    [Fact]
    public void A_seat_with_no_fallback_left_expires_and_a_revised_pack_reopens_it()
    {
        var task = RoutedTask();
        _time.Advance(TimeSpan.FromDays(3));
        task = _journal.Ok(TaskApprovals.ExpireDue(task, _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromDays(3));

        task = _journal.Ok(TaskApprovals.ExpireDue(task, _time.GetUtcNow()));

        Assert.All(task.Approvals!.Seats, s => Assert.Equal(SeatState.Expired, s.State));
        var completion = CompletionLock.Evaluate(task, _time.GetUtcNow());
        Assert.Equal("R. Lee did not sign by 2026-04-27 13:00Z and no fallback is left; revise the context pack to reopen the seat", completion.Conditions.Single(c => c.Subject == "domain-cost-owner").Text);

        task = _journal.Ok(TaskApprovals.ReviseContextPack(task, Sample.Pack with { Impact = "14 CMKs, 29 dependent jobs" }, Sample.Operator, "one more job found", _time.GetUtcNow()));

        Assert.All(task.Approvals!.Seats, s => Assert.Equal(SeatState.Open, s.State));
    }

    [Fact]
    public void A_ratification_seat_posts_automatically_after_the_first_two_signatures()
    {
        var task = RoutedTask(attributes: Sample.KmsChange with { ProductionSystemsTouched = 12 });
        var council = task.Approvals!.Seats.Single(s => s.Id == "wide-blast-radius");
        Assert.Equal((SeatKind.Ratification, SeatState.Queued, "Touches 12 production systems (> 10): CTO council ratifies"), (council.Kind, council.State, council.RoutedBecause));

        var early = Journal.Refused(TaskApprovals.Approve(task, Sample.ANovak, "wide-blast-radius", "ratified", Hash(task), _time.GetUtcNow()), RefusalCode.Conflict);
        Assert.Equal("seat wide-blast-radius opens after 2 signatures; 0 so far", early.Message);

        task = _journal.Ok(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "cost contained", Hash(task), _time.GetUtcNow()));
        Assert.Equal(SeatState.Queued, task.Approvals!.Seats[2].State);
        _time.Advance(TimeSpan.FromMinutes(38));
        task = _journal.Ok(TaskApprovals.Approve(task, Sample.MAlvarez, "kms-policy-controls", "controls covered", Hash(task), _time.GetUtcNow()));

        Assert.Equal((SeatState.Open, _time.GetUtcNow()), (task.Approvals!.Seats[2].State, task.Approvals.Seats[2].OpenedAt));
        Assert.Contains(_journal.Ledger, e => e.Kind == "approval.ratification-opened" && e.Actor == "system:governance");
        Assert.Contains(_journal.Notifications, n => n is { Kind: "approval.requested", Recipient: "cto-council" });
        Assert.Equal(ApprovalGateState.Open, task.Approvals.State);

        task = _journal.Ok(TaskApprovals.Approve(task, Sample.ANovak, "wide-blast-radius", "ratified by council", Hash(task), _time.GetUtcNow()));

        Assert.Equal(ApprovalGateState.Approved, task.Approvals!.State);
        Assert.Equal("approval.cleared", _journal.Ledger[^1].Kind);
    }

    [Fact]
    public void A_changed_context_pack_invalidates_earlier_signatures()
    {
        var task = RoutedTask();
        var seen = Hash(task);
        task = _journal.Ok(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "cost contained", seen, _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromHours(1));
        var revised = Sample.Pack with { ChangeWindow = new ChangeWindow(Sample.Pack.ChangeWindow.Start.AddDays(1), Sample.Pack.ChangeWindow.End.AddDays(1)) };

        task = _journal.Ok(TaskApprovals.ReviseContextPack(task, revised, Sample.Operator, "change window moved a day", _time.GetUtcNow()));

        var gate = task.Approvals!;
        Assert.Equal(revised.Hash(), gate.ContextPackHash);
        Assert.NotEqual(seen, gate.ContextPackHash);
        var signature = Assert.Single(gate.Signatures);
        Assert.Equal((seen, _time.GetUtcNow()), (signature.ContextPackHash, signature.InvalidatedAt));
        Assert.Equal($"context pack changed from {seen} to {gate.ContextPackHash}: change window moved a day", signature.InvalidatedBecause);
        Assert.Equal("0 / 2 signed", ApprovalGate.Evaluate(gate, _time.GetUtcNow()).Progress);
        Assert.Equal(["approval.context-revised", "approval.signature-invalidated"], _journal.Ledger.TakeLast(2).Select(e => e.Kind));

        var stale = Journal.Refused(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "cost contained", seen, _time.GetUtcNow()), RefusalCode.StaleContext);
        Assert.Equal($"you reviewed context pack {seen}, but TASK-0412 now carries {gate.ContextPackHash}; review the current pack and sign again", stale.Message);

        task = _journal.Ok(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "new window fine", gate.ContextPackHash, _time.GetUtcNow()));
        Assert.Equal(gate.ContextPackHash, task.Approvals!.ValidSignatureOf("domain-cost-owner")!.ContextPackHash);
    }

    [Fact]
    public void The_context_pack_hash_is_the_sha256_of_its_canonical_json()
    {
        var hash = Sample.Pack.Hash();

        Assert.Equal(ContentHash.Sha256Hex(CanonicalJson.Serialize(Sample.Pack.ToJson())), hash);
        Assert.Equal(hash, (Sample.Pack with { }).Hash());
        Assert.NotEqual(hash, (Sample.Pack with { ReversalTrigger = "roll back at 3%" }).Hash());
    }

    [Fact]
    public void A_deny_closes_the_task_as_wont_fix_with_the_reason()
    {
        var task = RoutedTask();

        task = _journal.Ok(TaskApprovals.Deny(task, Sample.MAlvarez, "kms-policy-controls", "key policy grants kms:* to a CI role", Hash(task), _time.GetUtcNow()));

        Assert.Equal(TaskState.Cancelled, task.Task.State);
        Assert.Equal(new TaskClosure(ClosureKind.WontFix, "denied by M. Alvarez (seat kms-policy-controls): key policy grants kms:* to a CI role", "malvarez", _time.GetUtcNow()), task.Task.Closure);
        Assert.Equal((ApprovalGateState.Denied, "key policy grants kms:* to a CI role"), (task.Approvals!.State, task.Approvals.Denial!.Rationale));
        Assert.Equal(["approval.denied", "task.closed-wont-fix"], _journal.Ledger.TakeLast(2).Select(e => e.Kind));
        Assert.Contains(_journal.Notifications, n => n is { Kind: "task.closed", Recipient: "tnguyen" });

        var after = Journal.Refused(TaskApprovals.Approve(task, Sample.DPark, "domain-cost-owner", "fine", Hash(task), _time.GetUtcNow()), RefusalCode.Conflict);
        Assert.Equal("TASK-0412 is Cancelled: denied by M. Alvarez (seat kms-policy-controls): key policy grants kms:* to a CI role", after.Message);
    }

    [Fact]
    public void A_change_record_uses_the_same_gate_on_the_remediation_stream()
    {
        var request = new ApprovalRequest("CHG-2026-0418-114", "change", "system:remediation", Sample.KmsChange, Sample.Pack, "remediation");
        var gate = _journal.Ok(ApprovalGate.Route(Sample.Rules, request, "system:remediation", _time.GetUtcNow()));

        gate = _journal.Ok(ApprovalGate.Deny(gate, Sample.DPark, "domain-cost-owner", "window collides with quarter close", gate.ContextPackHash, _time.GetUtcNow()));

        Assert.Equal((ApprovalGateState.Denied, "window collides with quarter close"), (gate.State, gate.Denial!.Rationale));
        Assert.All(_journal.Ledger, e => Assert.Equal(("remediation", "CHG-2026-0418-114"), (e.Stream, e.Subject)));
        Assert.Equal(["approval.routed", "approval.denied"], _journal.Ledger.Select(e => e.Kind));
    }

    [Fact]
    public void Routing_refuses_a_rule_that_names_the_requester()
    {
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;
        var byPark = created with { Task = created.Task with { RequesterId = "dpark" } };

        var refusal = Journal.Refused(TaskApprovals.Route(byPark, Sample.Rules, Sample.KmsChange, Sample.Pack, Sample.Operator, _time.GetUtcNow()), RefusalCode.SegregationOfDuties);

        Assert.Equal("rule domain-cost-owner routes TASK-0412 to D. Park, who requested it; the requester cannot approve", refusal.Message);
    }

    [Fact]
    public void Routing_refuses_a_matching_rule_with_no_owner_in_the_domain()
    {
        var created = _journal.Ok(TaskLifecycle.Create(Sample.Plan, Sample.Task("TASK-0412"), [], Sample.Operator, _time.GetUtcNow())).Record;

        var refusal = Journal.Refused(TaskApprovals.Route(created, Sample.Rules, new ChangeAttributes("marketing"), Sample.Pack, Sample.Operator, _time.GetUtcNow()), RefusalCode.Invalid);

        Assert.Equal("rule domain-cost-owner applies but cannot be routed: no owner of cost-envelope is declared for domain 'marketing' in rules 2026.04.2", refusal.Message);
    }
}
