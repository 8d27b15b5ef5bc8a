using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Tests.Remediation.Chain;

public class ChangeChainTests
{
    private static readonly ChangeId Id = ChangeId.Parse("CHG-2026-0415-001");
    private static readonly DateTimeOffset Opened = Samples.Detected.AddSeconds(2);
    private static readonly DateTimeOffset Tap = Samples.Detected.AddSeconds(75);
    private static readonly ContainerState PublicContainer = Samples.Container();
    private static readonly ContainerState PrivateContainer = Samples.Container(access: PublicAccessLevel.None);

    private readonly ChangeChain _chain = new(PatternRegistry.Default, new RemediationPolicy());

    [Fact]
    public void A_production_change_waits_for_an_approver_until_a_60_minute_timer()
    {
        var opened = _chain.Open(Id, ProductionFinding(), "system:scan", Opened);

        Assert.Equal(ChangeStage.Approval, opened.State.Stage);
        Assert.True(opened.State.Production);
        Assert.Equal(Opened.AddMinutes(60), opened.State.ApprovalExpiresAt);
        Assert.Null(opened.State.Stage.StepAt());
        Assert.Equal(["change.opened", "change.approval-requested"], opened.Ledger.Select(l => l.Kind));
        Assert.All(opened.Ledger, l => Assert.Equal(("remediation", "CHG-2026-0415-001"), (l.Stream, l.Subject)));
        var request = Assert.Single(opened.Notifications);
        Assert.Equal("change.approval-requested", request.Kind);
        Assert.Contains("expires: 2026-04-15 04:12 UTC", request.Summary, StringComparison.Ordinal);
        Assert.Equal(
            [(1, ChangeStage.Ticket, ChangeStage.Approval, "change.opened"), (2, ChangeStage.Approval, ChangeStage.Approval, "change.approval-requested")],
            opened.History.Select(h => (h.Sequence, h.From, h.To, h.Event)));
    }

    [Fact]
    public void A_non_production_change_is_approved_by_policy_and_recorded_as_such()
    {
        var pattern = new BlobSoftDelete();
        var finding = pattern.Detect(Samples.Account(Samples.Service(deleteRetention: RetentionPolicy.Disabled)))[0];

        var opened = _chain.Open(Id, finding, "system:scan", Opened);

        Assert.Equal(ChangeStage.Backup, opened.State.Stage);
        Assert.Equal(new ApprovalDecision(ApprovalOutcome.Granted, ApprovalMode.Auto, "policy:auto-approve-non-production",
            "policy:auto-approve-non-production", Opened, "non-production asset", false), opened.State.Approval);
        Assert.Equal(ChainStep.TakeBackup, opened.State.Stage.StepAt());
        var approved = opened.Ledger[1];
        Assert.Equal(("change.approved", "policy:auto-approve-non-production"), (approved.Kind, approved.Actor));
        Assert.Equal("auto", approved.Data!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void The_auto_approval_policy_can_be_switched_off()
    {
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy { AutoApproveNonProduction = false });
        var finding = new BlobSoftDelete().Detect(Samples.Account(Samples.Service(deleteRetention: RetentionPolicy.Disabled)))[0];

        Assert.Equal(ChangeStage.Approval, chain.Open(Id, finding, "system:scan", Opened).State.Stage);
    }

    [Fact]
    public void An_approved_change_runs_every_stage_to_a_close_out_with_a_30_day_rollback()
    {
        var (state, ledger) = RunToClosed();

        Assert.Equal(ChangeStage.Closed, state.Stage);
        Assert.Equal(
            ["change.opened", "change.approval-requested", "change.approved", "change.backed-up", "change.fixed",
             "change.verified", "change.rollback-bundle-stored", "change.closed"],
            ledger);
        Assert.Equal(8, state.Version);
        Assert.Equal(Tap.AddSeconds(3).AddDays(30), state.Bundle!.AvailableUntil);
        Assert.Equal(
            """
            CHG-2026-0415-001 closed
            CIS Azure 3.7 remediated on
              customer-exports
            approver: nina.ramirez
              (tap, 03:14:02 UTC)
            duration: 01m 19s (detect → close)
            rollback: available until 2026-05-15
            """.ReplaceLineEndings("\n"),
            state.CloseOut!.Render());
        Assert.Equal("#compliance-audit", ChangeChain.CloseOutNotification(state).Recipient);
    }

    [Fact]
    public void The_close_out_has_the_same_fields_on_every_run()
    {
        var first = RunToClosed().State.CloseOut!.ToJson();
        var auto = AutoApprovedClosed().CloseOut!.ToJson();

        Assert.Equal(first.Select(p => p.Key), auto.Select(p => p.Key));
        Assert.Equal("auto", auto["approvalMode"]!.GetValue<string>());
    }

    [Fact]
    public void A_denial_closes_the_change_as_wont_fix_with_the_reason_on_the_record()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var denied = Transition(state, new ApprovalDenied(Samples.Approver(), Tap, "public by design: press kit"));

        Assert.Equal(ChangeStage.WontFix, denied.State.Stage);
        Assert.Equal("denied: public by design: press kit", denied.State.Outcome);
        Assert.True(denied.State.Stage.IsTerminal());
        Assert.Equal("public by design: press kit", Assert.Single(denied.Ledger).Data!["reason"]!.GetValue<string>());
        Assert.IsType<ChainRefusal>(_chain.Decide(denied.State, new ApprovalGranted(Samples.Approver("someone.else"), Tap)));
    }

    [Fact]
    public void A_denial_without_a_reason_is_refused_and_changes_nothing()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new ApprovalDenied(Samples.Approver(), Tap, "  ")));

        Assert.Equal(RefusalCode.Invalid, refusal.Code);
    }

    [Fact]
    public void Expiry_closes_the_change_as_expired_with_nothing_changed_and_later_taps_are_gone()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var expired = Transition(state, new ApprovalTimedOut(Opened.AddMinutes(60)));

        Assert.Equal(ChangeStage.Expired, expired.State.Stage);
        Assert.Null(expired.State.Backup);
        Assert.True(expired.State.Stage.IsTerminal());
        Assert.False(Assert.Single(expired.Ledger).Data!["changed"]!.GetValue<bool>());
        Assert.Equal(RefusalCode.Expired, Assert.IsType<ChainRefusal>(_chain.Decide(expired.State, new ApprovalGranted(Samples.Approver(), Opened.AddMinutes(61)))).Code);
        Assert.IsType<ChainDuplicate>(_chain.Decide(expired.State, new ApprovalTimedOut(Opened.AddMinutes(61))));
    }

    [Fact]
    public void A_tap_after_the_expiry_time_is_gone_even_before_the_timer_fires()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new ApprovalGranted(Samples.Approver(), Opened.AddMinutes(60))));

        Assert.Equal(RefusalCode.Expired, refusal.Code);
    }

    [Fact]
    public void An_early_expiry_timer_is_rearmed_for_the_expiry_time()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        Assert.Equal(new ChainNotYetDue(Opened.AddMinutes(60)), _chain.Decide(state, new ApprovalTimedOut(Opened.AddMinutes(59))));
    }

    [Fact]
    public void The_requester_cannot_approve_their_own_change()
    {
        var state = _chain.Open(Id, ProductionFinding(), "nina.ramirez", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new ApprovalGranted(Samples.Approver("nina.ramirez"), Tap)));

        Assert.Equal(RefusalCode.SegregationOfDuties, refusal.Code);
        Assert.Equal(ChangeStage.Approval, state.Stage);
    }

    [Fact]
    public void Approval_needs_the_approver_role()
    {
        var state = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(state, new ApprovalGranted(Samples.Person("op", Role.Operator), Tap)));

        Assert.Equal(RefusalCode.Forbidden, refusal.Code);
        Assert.IsType<ChainTransition>(_chain.Decide(state, new ApprovalGranted(Samples.Person("root", Role.Admin), Tap)));
    }

    [Fact]
    public void A_verification_mismatch_restores_the_backup_and_records_why()
    {
        var state = Drive(Approved(), new BackupTaken(Tap.AddSeconds(1), PublicContainer, "rollback-vault/CHG-2026-0415-001.json", "ab12"), new FixApplied(Tap.AddSeconds(2)));

        var mismatch = Transition(state, new FixObserved(Tap.AddSeconds(3), Samples.Container(access: PublicAccessLevel.Container)));

        Assert.Equal(ChangeStage.Restoring, mismatch.State.Stage);
        Assert.Equal(ChainStep.RestoreFromBackup, mismatch.State.Stage.StepAt());
        Assert.Equal(new SetContainerPublicAccess(PublicContainer.Id, PublicAccessLevel.Blob), ChangeChain.OperationFor(mismatch.State, ChainStep.RestoreFromBackup));

        var restored = Transition(mismatch.State, new RestoreObserved(Tap.AddSeconds(4), PublicContainer));

        Assert.Equal(ChangeStage.RolledBack, restored.State.Stage);
        Assert.Contains("publicAccess: expected 'none', observed 'container'", restored.State.Outcome, StringComparison.Ordinal);
        Assert.Equal("change.rolled-back", Assert.Single(restored.Ledger).Kind);
        Assert.Equal("change.rolled-back", Assert.Single(restored.Notifications).Kind);
    }

    [Fact]
    public void A_restore_that_does_not_verify_parks_the_change_as_stuck()
    {
        var state = Drive(Approved(), new BackupTaken(Tap, PublicContainer, "vault/b", "ab"), new FixApplied(Tap), new FixObserved(Tap, PublicContainer));

        var stuck = Transition(state, new RestoreObserved(Tap, PrivateContainer));

        Assert.Equal(ChangeStage.Stuck, stuck.State.Stage);
        Assert.StartsWith("automatic restore did not verify", stuck.State.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void A_backup_that_no_longer_matches_the_detected_state_stops_before_anything_writes()
    {
        var moved = Transition(Approved(), new BackupTaken(Tap, Samples.Container(access: PublicAccessLevel.Container), "vault/b", "ab"));

        Assert.Equal(ChangeStage.Stuck, moved.State.Stage);
        Assert.Null(moved.State.Stage.StepAt());
        Assert.Equal(["change.backed-up", "change.stuck"], moved.Ledger.Select(l => l.Kind));
        Assert.Contains("asset changed since detection (publicAccess: expected 'blob', observed 'container')", moved.State.Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operator_can_revert_within_30_days_and_the_prior_state_is_verified()
    {
        var closed = RunToClosed().State;
        var within = closed.Bundle!.AvailableUntil!.Value.AddSeconds(-1);

        var reverting = Transition(closed, new RevertRequested(Samples.Person("omar", Role.Operator), within));

        Assert.Equal(ChangeStage.Reverting, reverting.State.Stage);
        Assert.Equal(ChainStep.RevertChange, reverting.State.Stage.StepAt());
        Assert.Equal(new SetContainerPublicAccess(PublicContainer.Id, PublicAccessLevel.Blob), ChangeChain.OperationFor(reverting.State, ChainStep.RevertChange));

        var reverted = Transition(reverting.State, new RevertObserved(within.AddSeconds(1), PublicContainer));

        Assert.Equal(ChangeStage.Reverted, reverted.State.Stage);
        Assert.Equal(("change.reverted", "omar"), (reverted.Ledger[0].Kind, reverted.Ledger[0].Actor));
    }

    [Fact]
    public void A_revert_after_30_days_is_gone()
    {
        var closed = RunToClosed().State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(closed, new RevertRequested(Samples.Person("omar", Role.Operator), closed.Bundle!.AvailableUntil!.Value)));

        Assert.Equal(RefusalCode.Expired, refusal.Code);
        Assert.Contains("expired at 2026-05-15T03:14:05", refusal.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Role.Auditor)]
    [InlineData(Role.Approver)]
    public void A_revert_by_someone_without_operator_or_admin_is_forbidden(string role)
    {
        var closed = RunToClosed().State;

        var refusal = Assert.IsType<ChainRefusal>(_chain.Decide(closed, new RevertRequested(Samples.Person("ann", role), Tap.AddDays(1))));

        Assert.Equal(RefusalCode.Forbidden, refusal.Code);
    }

    [Fact]
    public void Duplicate_events_are_acknowledged_and_change_nothing()
    {
        var approved = Approved();
        var backup = new BackupTaken(Tap.AddSeconds(1), PublicContainer, "vault/b", "ab");
        var backedUp = Drive(approved, backup);
        var closed = RunToClosed().State;

        Assert.IsType<ChainDuplicate>(_chain.Decide(approved, new ApprovalGranted(Samples.Approver(), Tap.AddSeconds(5))));
        Assert.IsType<ChainDuplicate>(_chain.Decide(backedUp, backup));
        Assert.IsType<ChainDuplicate>(_chain.Decide(closed, new FixApplied(Tap)));
        Assert.IsType<ChainDuplicate>(_chain.Decide(closed, new FixObserved(Tap, PrivateContainer)));
        Assert.IsType<ChainDuplicate>(_chain.Decide(closed, new CloseOutSent(Tap)));
        Assert.IsType<ChainDuplicate>(_chain.Decide(closed, new ApprovalTimedOut(Opened.AddHours(1))));
        var reverting = Drive(closed, new RevertRequested(Samples.Person("omar", Role.Operator), Tap.AddDays(1)));
        Assert.IsType<ChainDuplicate>(_chain.Decide(reverting, new RevertRequested(Samples.Person("omar", Role.Operator), Tap.AddDays(1))));
    }

    [Fact]
    public void Events_for_a_stage_not_reached_are_refused()
    {
        var waiting = _chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ChainRefusal>(_chain.Decide(waiting, new FixApplied(Tap))).Code);
        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ChainRefusal>(_chain.Decide(waiting, new BackupTaken(Tap, PublicContainer, "v", "h"))).Code);
        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ChainRefusal>(_chain.Decide(waiting, new RevertRequested(Samples.Person("omar", Role.Operator), Tap))).Code);
    }

    [Fact]
    public void Every_ledger_entry_carries_an_id_from_the_change_and_the_version_its_transition_reached()
    {
        var (state, _) = RunToClosed();
        var opened = _chain.Open(Id, ProductionFinding(), "system:scan", Opened);
        var approved = Transition(opened.State, new ApprovalGranted(Samples.Approver(), Tap));

        Assert.Equal(["CHG-2026-0415-001/2/0", "CHG-2026-0415-001/2/1"], opened.Ledger.Select(l => l.EntryId));
        Assert.Equal(["CHG-2026-0415-001/3/0"], approved.Ledger.Select(l => l.EntryId));
        Assert.Equal(approved.Ledger.Select(l => l.EntryId), Transition(opened.State, new ApprovalGranted(Samples.Approver(), Tap)).Ledger.Select(l => l.EntryId));
        Assert.Equal(8, state.Version);
    }

    [Fact]
    public void The_rollback_window_closing_settles_a_closed_change_and_a_later_revert_is_expired()
    {
        var (closed, _) = RunToClosed();
        var until = closed.Bundle!.AvailableUntil!.Value;

        Assert.Equal(new ChainNotYetDue(until), _chain.Decide(closed, new RollbackWindowClosed(until.AddSeconds(-1))));
        var settled = Transition(closed, new RollbackWindowClosed(until));

        Assert.Equal((ChangeStage.Closed, until), (settled.State.Stage, settled.State.SettledAt));
        Assert.Equal("change.settled", Assert.Single(settled.Ledger).Kind);
        Assert.IsType<ChainDuplicate>(_chain.Decide(settled.State, new RollbackWindowClosed(until)));
        var late = Assert.IsType<ChainRefusal>(_chain.Decide(settled.State, new RevertRequested(Samples.Person("omar", Role.Operator), until.AddDays(-1))));
        Assert.Equal(RefusalCode.Expired, late.Code);
    }

    [Fact]
    public void A_change_keeps_the_terms_it_opened_under()
    {
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy { RollbackWindow = TimeSpan.FromDays(7), AuditChannel = "#audit-eu" });
        var opened = chain.Open(Id, ProductionFinding(), "system:scan", Opened).State;

        // Decided by a chain that knows no policy, as the orchestration's is.
        var closed = Drive(new ChangeChain(PatternRegistry.Default), opened,
            new ApprovalGranted(Samples.Approver(), Tap),
            new BackupTaken(Tap, PublicContainer, "v", "h"),
            new FixApplied(Tap),
            new FixObserved(Tap, PrivateContainer),
            new RollbackBundleStored(Tap, "v/b"),
            new CloseOutSent(Tap));

        Assert.Equal(Tap.AddDays(7), closed.Bundle!.AvailableUntil);
        Assert.Equal("#audit-eu", ChangeChain.CloseOutNotification(closed).Recipient);
    }

    [Fact]
    public void A_failed_step_parks_the_change_as_stuck_and_a_failure_of_a_step_not_due_is_ignored()
    {
        var backingUp = Approved();

        var stuck = Transition(backingUp, new StepFailed(ChainStep.TakeBackup, 5, "storage answered 503 ServerBusy", Tap));

        Assert.Equal(ChangeStage.Stuck, stuck.State.Stage);
        Assert.Equal("TakeBackup failed 5 times: storage answered 503 ServerBusy", stuck.State.Outcome);
        Assert.Equal("#compliance-audit", Assert.Single(stuck.Notifications).Recipient);
        Assert.IsType<ChainDuplicate>(_chain.Decide(backingUp, new StepFailed(ChainStep.ApplyFix, 5, "late", Tap)));
    }

    [Fact]
    public void An_irreversible_fix_needs_an_approval_that_says_so_is_never_auto_approved_and_cannot_be_reverted()
    {
        var chain = new ChangeChain(new PatternRegistry([new IrreversibleSoftDelete()]), new RemediationPolicy());
        var pattern = new IrreversibleSoftDelete();
        var finding = pattern.Detect(Samples.Account(Samples.Service(deleteRetention: RetentionPolicy.Disabled)))[0];
        var state = chain.Open(Id, finding, "system:scan", Opened).State;

        Assert.Equal(ChangeStage.Approval, state.Stage);
        var refusal = Assert.IsType<ChainRefusal>(chain.Decide(state, new ApprovalGranted(Samples.Approver(), Tap)));
        Assert.Equal(RefusalCode.IrreversibleNotAcknowledged, refusal.Code);

        var closed = Drive(chain, state,
            new ApprovalGranted(Samples.Approver(), Tap, AcknowledgesIrreversible: true),
            new BackupTaken(Tap, finding.State, "vault/b", "ab"),
            new FixApplied(Tap),
            new FixObserved(Tap, (BlobServiceState)finding.State with { DeleteRetention = new RetentionPolicy(true, 7) }),
            new RollbackBundleStored(Tap, "vault/bundle"),
            new CloseOutSent(Tap));

        Assert.True(closed.Approval!.AcknowledgedIrreversible);
        Assert.IsType<Irreversible>(closed.Bundle!.Inverse);
        Assert.EndsWith("rollback: not available (irreversible)", closed.CloseOut!.Render(), StringComparison.Ordinal);
        Assert.Equal(RefusalCode.Conflict, Assert.IsType<ChainRefusal>(chain.Decide(closed, new RevertRequested(Samples.Person("omar", Role.Operator), Tap))).Code);
    }

    private static Finding ProductionFinding() => new PublicContainerAccess().Detect(Samples.Account(null, PublicContainer))[0];

    private ChangeState Approved() =>
        Drive(_chain.Open(Id, ProductionFinding(), "system:scan", Opened).State, new ApprovalGranted(Samples.Approver(), Tap));

    private (ChangeState State, List<string> Ledger) RunToClosed()
    {
        var opened = _chain.Open(Id, ProductionFinding(), "system:scan", Opened);
        var ledger = opened.Ledger.Select(l => l.Kind).ToList();
        var state = opened.State;
        foreach (var e in new ChainEvent[]
                 {
                     new ApprovalGranted(Samples.Approver(), Tap),
                     new BackupTaken(Tap.AddSeconds(1), PublicContainer, "rollback-vault/CHG-2026-0415-001.json", "ab12"),
                     new FixApplied(Tap.AddSeconds(2)),
                     new FixObserved(Tap.AddSeconds(3), PrivateContainer),
                     new RollbackBundleStored(Tap.AddSeconds(4), "rollback-vault/CHG-2026-0415-001.bundle.json"),
                     new CloseOutSent(Tap.AddSeconds(5)),
                 })
        {
            var transition = Transition(state, e);
            ledger.AddRange(transition.Ledger.Select(l => l.Kind));
            Assert.Equal(transition.History.Count, transition.Ledger.Count);
            state = transition.State;
        }
        return (state, ledger);
    }

    private static ChangeState AutoApprovedClosed()
    {
        var finding = new PublicContainerAccess().Detect(Samples.Account(null, Samples.Container("dev-exports", metadata: new Dictionary<string, string> { ["env"] = "prod" })))[0];
        var chain = new ChangeChain(PatternRegistry.Default, new RemediationPolicy { Production = new TagCondition("env", ["production"]) });
        var state = chain.Open(Id, finding, "system:scan", Opened).State;
        var fixedState = (ContainerState)finding.State with { PublicAccess = PublicAccessLevel.None };
        return Drive(chain, state,
            new BackupTaken(Tap, finding.State, "vault/b", "ab"),
            new FixApplied(Tap),
            new FixObserved(Tap, fixedState),
            new RollbackBundleStored(Tap, "vault/bundle"),
            new CloseOutSent(Tap));
    }

    private ChainTransition Transition(ChangeState state, ChainEvent e) => Assert.IsType<ChainTransition>(_chain.Decide(state, e));

    private ChangeState Drive(ChangeState state, params ChainEvent[] events) => Drive(_chain, state, events);

    private static ChangeState Drive(ChangeChain chain, ChangeState state, params ChainEvent[] events) =>
        events.Aggregate(state, (s, e) => Assert.IsType<ChainTransition>(chain.Decide(s, e)).State);

    /// <summary>A pattern that declares its fix irreversible, to exercise the chain's handling of one.</summary>
    private sealed class IrreversibleSoftDelete : ViolationPattern
    {
        private readonly BlobSoftDelete _inner = new();

        public override string Id => "TEST-IRREVERSIBLE";

        public override string Title => "test pattern with an irreversible fix";

        public override Severity Severity => Severity.Low;

        public override IReadOnlyList<FrameworkControl> Frameworks { get; } = [FrameworkControl.Soc("CC7.2")];

        public override AppliesTo AppliesTo { get; } = new(AssetKind.BlobService);

        public override string FixAction => "enable soft delete forever";

        public override string? IrreversibleReason => "test: the fix cannot be undone";

        public override IReadOnlyList<FieldValue> Project(AssetState asset) => _inner.Project(asset);

        protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
            ((BlobServiceState)asset).DeleteRetention.Enabled ? [] : [new Observation("deleteRetention", "disabled", "enabled")];

        protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) =>
            new SetDeleteRetention(asset.Id, new RetentionPolicy(true, 7));

        protected override StorageOperation Restore(AssetState backup, string backupFile) => throw new InvalidOperationException("irreversible");
    }
}
