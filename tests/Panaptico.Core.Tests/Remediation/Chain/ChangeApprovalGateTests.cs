using System.Text.Json;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Core.Tests.Governance;

namespace Panaptico.Core.Tests.Remediation.Chain;

public class ChangeApprovalGateTests
{
    private static readonly ChangeId Id = ChangeId.Parse("CHG-2026-0415-001");
    private static readonly DateTimeOffset Opened = Samples.Detected.AddSeconds(2);
    private static readonly DateTimeOffset Tap = Samples.Detected.AddSeconds(75);
    private static readonly Principal Nina = Samples.Approver("nina.ramirez");
    private static readonly Principal Owen = Samples.Approver("owen.price");

    // Two seats, so a test can see the chain wait for the second: the domain owner and the production on-call.
    private static readonly ApprovalRules TwoSeats = ApprovalRules.Parse("""
        version: "test-2"
        principals:
          owen.price: { name: "Owen Price", title: "Head of Platform" }
          nina.ramirez: { name: "Nina Ramirez", title: "Platform security on-call" }
        groups:
          platform-security-oncall: { name: "Platform security on-call", members: [nina.ramirez] }
        owners:
          platform: { cost-envelope: owen.price }
        rules:
          - id: domain-cost-owner
            to: { ownerOf: cost-envelope }
            because: "Owns cost envelope & perf SLO for {domain}"
            expiresAfter: P3D
          - id: production-remediation
            when: { changeKindsAny: [remediation], tagsAny: [production] }
            to: { group: platform-security-oncall }
            because: "Remediation fix writes to {systems} production system: platform-security on-call signs"
            expiresAfter: PT1H
        """);

    private readonly ChangeChain _chain = new(PatternRegistry.Default, new RemediationPolicy(), TwoSeats);

    [Fact]
    public void With_the_shipped_rules_a_production_change_routes_one_seat_to_the_platform_owner()
    {
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy(), Sample.Rules);

        var gate = chain.Open(Id, ProductionFinding(), "system:scan", Opened).State.ApprovalGate!;

        var seat = Assert.Single(gate.Seats);
        Assert.Equal(("domain-cost-owner", "Nina Ramirez", "Owns cost envelope & perf SLO for platform", "2026.04.2"),
            (seat.Id, seat.Approver.Name, seat.RoutedBecause, seat.RulesVersion));
    }

    [Fact]
    public void A_production_change_routes_its_seats_with_the_reason_each_was_routed()
    {
        var opened = _chain.Open(Id, ProductionFinding(), "system:scan", Opened);

        var gate = opened.State.ApprovalGate!;
        Assert.Equal(ChangeStage.Approval, opened.State.Stage);
        Assert.Equal(("CHG-2026-0415-001", "change", "system:scan", "remediation"), (gate.SubjectId, gate.SubjectKind, gate.RequesterId, gate.LedgerStream));
        Assert.Equal(
            [("domain-cost-owner", "Owen Price", "Owns cost envelope & perf SLO for platform"),
             ("production-remediation", "Platform security on-call", "Remediation fix writes to 1 production system: platform-security on-call signs")],
            gate.Seats.Select(s => (s.Id, s.Approver.Name, s.RoutedBecause)));
        Assert.Contains(opened.State.Plan.Command, gate.ContextPack.WorkloadDiff, StringComparison.Ordinal);
        Assert.Contains("revertible by change id for 30 days", gate.ContextPack.ReversalTrigger, StringComparison.Ordinal);
        Assert.Equal(gate.ContextPack.Hash(), gate.ContextPackHash);
        Assert.Equal(["change.opened", "approval.routed", "change.approval-requested"], opened.Ledger.Select(l => l.Kind));
        Assert.All(opened.Ledger, l => Assert.Equal(("remediation", "CHG-2026-0415-001"), (l.Stream, l.Subject)));
        Assert.Equal(2, opened.Notifications.Count(n => n.Kind == "approval.requested"));
    }

    [Fact]
    public void The_chain_does_not_move_until_every_seat_is_signed_and_the_clearing_signer_is_the_approver()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;
        var hash = state.ApprovalGate!.ContextPackHash;

        var first = Assert.IsType<ChainTransition>(_chain.Decide(state, new SeatApproved(Nina, Tap, null, "public read on customer exports is a leak", hash)));
        Assert.Equal(ChangeStage.Approval, first.State.Stage);
        Assert.Null(first.State.Approval);
        Assert.Equal(ChangeStage.Approval, first.State.Stage);
        Assert.Equal(["approval.signed", "change.seat-signed"], first.Ledger.Select(l => l.Kind));
        Assert.Equal(RefusalCode.Conflict, Code(_chain.Decide(first.State, new ApprovalGranted(Owen, Tap))));

        var cleared = Assert.IsType<ChainTransition>(_chain.Decide(first.State, new SeatApproved(Owen, Tap.AddMinutes(2), null, "no cost impact", hash)));
        Assert.Equal(ChangeStage.Backup, cleared.State.Stage);
        Assert.Equal(new ApprovalDecision(ApprovalOutcome.Granted, ApprovalMode.Tap, "owen.price", "owen.price", Tap.AddMinutes(2), "no cost impact", false), cleared.State.Approval);
        Assert.Equal(["approval.signed", "approval.cleared", "change.approved"], cleared.Ledger.Select(l => l.Kind));
        Assert.Equal(ChainStep.TakeBackup, cleared.State.Stage.StepAt());
        Assert.Equal(ApprovalGateState.Approved, cleared.State.ApprovalGate!.State);
    }

    [Fact]
    public void A_signature_without_a_rationale_is_refused_and_changes_nothing()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new SeatApproved(Nina, Tap, null, "  ", state.ApprovalGate!.ContextPackHash)));

        Assert.Equal(RefusalCode.Invalid, refusal.Code);
        Assert.Contains("rationale", refusal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_on_a_stale_context_pack_hash_is_refused_as_stale_context()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new SeatApproved(Nina, Tap, null, "looks right", new string('0', 64))));

        Assert.Equal(RefusalCode.StaleContext, refusal.Code);
        Assert.Contains(state.ApprovalGate!.ContextPackHash, refusal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_requester_of_a_change_cannot_sign_its_seat()
    {
        var state = _chain.Open(Id, ProductionFinding(), "nina.ramirez", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new SeatApproved(Nina, Tap, null, "mine", state.ApprovalGate!.ContextPackHash)));

        Assert.Equal(RefusalCode.SegregationOfDuties, refusal.Code);
    }

    [Fact]
    public void An_approver_routed_to_no_seat_is_refused_and_an_unknown_seat_is_not_found()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;
        var hash = state.ApprovalGate!.ContextPackHash;

        Assert.Equal(RefusalCode.Forbidden, Code(_chain.Decide(state, new SeatApproved(Samples.Approver("someone.else"), Tap, null, "ok", hash))));
        Assert.Equal(RefusalCode.NotFound, Code(_chain.Decide(state, new SeatApproved(Nina, Tap, "no-such-seat", "ok", hash))));
    }

    [Fact]
    public void A_denial_from_a_seat_needs_a_rationale_and_closes_the_change_as_wont_fix()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;
        var hash = state.ApprovalGate!.ContextPackHash;

        Assert.Equal(RefusalCode.Invalid, Code(_chain.Decide(state, new SeatDenied(Nina, Tap, null, "", hash))));
        Assert.Equal(RefusalCode.Conflict, Code(_chain.Decide(state, new ApprovalDenied(Nina, Tap, "a tap cannot bypass the gate"))));
        var denied = Assert.IsType<ChainTransition>(_chain.Decide(state, new SeatDenied(Nina, Tap, null, "public by design: press kit", hash)));

        Assert.Equal(ChangeStage.WontFix, denied.State.Stage);
        Assert.Equal("denied: public by design: press kit", denied.State.Outcome);
        Assert.Equal(["approval.denied", "change.denied"], denied.Ledger.Select(l => l.Kind));
    }

    [Fact]
    public void A_change_whose_approval_cannot_be_routed_is_parked_as_stuck_with_nothing_changed()
    {
        var noOwner = ApprovalRules.Parse("""
            version: "test-1"
            principals: { dpark: { name: "D. Park" } }
            owners: { finance: { cost-envelope: dpark } }
            rules:
              - { id: domain-cost-owner, to: { ownerOf: cost-envelope }, because: "Owns {domain}", expiresAfter: P1D }
            """);

        var opened = new ChangeChain(PatternRegistry.Default, new RemediationPolicy(), noOwner).Open(Id, ProductionFinding(), "system:scan", Opened);

        Assert.Equal(ChangeStage.Stuck, opened.State.Stage);
        Assert.Contains("no owner of cost-envelope is declared for domain 'platform'", opened.State.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void A_signature_after_the_approval_request_expired_is_gone()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var late = _chain.Decide(state, new SeatApproved(Nina, Opened.AddMinutes(61), null, "late", state.ApprovalGate!.ContextPackHash));

        Assert.Equal(RefusalCode.Expired, Code(late));
    }

    [Fact]
    public void A_second_signature_by_the_same_approver_is_a_duplicate_that_changes_nothing()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;
        var hash = state.ApprovalGate!.ContextPackHash;
        state = Assert.IsType<ChainTransition>(_chain.Decide(state, new SeatApproved(Nina, Tap, null, "leak", hash))).State;

        Assert.IsType<ChainDuplicate>(_chain.Decide(state, new SeatApproved(Nina, Tap.AddSeconds(5), null, "leak", hash)));
    }

    [Fact]
    public void A_non_production_change_is_still_approved_by_policy_without_a_gate()
    {
        var finding = new BlobSoftDelete().Detect(Samples.Account(Samples.Service(deleteRetention: RetentionPolicy.Disabled)))[0];

        var opened = _chain.Open(Id, finding, "system:scan", Opened);

        Assert.Equal(ChangeStage.Backup, opened.State.Stage);
        Assert.Null(opened.State.ApprovalGate);
        Assert.Equal(ApprovalMode.Auto, opened.State.Approval!.Mode);
    }

    [Fact]
    public void A_change_with_its_gate_round_trips_through_the_remediation_json()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;
        state = ((ChainTransition)_chain.Decide(state, new SeatApproved(Nina, Tap, null, "leak", state.ApprovalGate!.ContextPackHash))).State;

        var back = JsonSerializer.Deserialize<ChangeState>(JsonSerializer.Serialize(state, RemediationJson.Options), RemediationJson.Options)!;

        Assert.Equal(JsonSerializer.Serialize(state, RemediationJson.Options), JsonSerializer.Serialize(back, RemediationJson.Options));
        Assert.Equal(state.ApprovalGate!.Signatures.Single(), back.ApprovalGate!.Signatures.Single());
    }

    private static RefusalCode Code(ChainOutcome outcome) => Assert.IsType<ChainRefusal>(outcome).Code;

    private static Finding ProductionFinding() => new PublicContainerAccess().Detect(Samples.Account(null, Samples.Container()))[0];
}
