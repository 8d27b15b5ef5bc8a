using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Core.Tests.Governance;
using Panaptico.Core.Tests.Remediation;

namespace Panaptico.Core.Tests.Teams;

/// <summary>The walkthrough's change and TASK-0412's gate, at the moments the cards are sent.</summary>
internal static class CardSamples
{
    public static readonly ChangeId ChangeId = ChangeId.Parse("CHG-2026-0415-001");
    public static readonly DateTimeOffset Opened = Samples.Detected.AddSeconds(2);
    public static readonly DateTimeOffset Tap = Samples.Detected.AddSeconds(75);

    public static readonly ChangeChain Chain = new(PatternRegistry.Default, new RemediationPolicy(), Sample.Rules);

    /// <summary>The production change waiting at its approval: one seat, routed to Nina Ramirez.</summary>
    public static ChangeState AwaitingApproval() =>
        Chain.Open(ChangeId, new PublicContainerAccess().Detect(Samples.Account(null, Samples.Container()))[0], "system:violation-scan", Opened).State;

    public static ChangeState Approved()
    {
        var state = AwaitingApproval();
        var signed = (ChainTransition)Chain.Decide(state, new SeatApproved(Samples.Approver(), Tap, null, "one tap", state.ApprovalGate!.ContextPackHash));
        return signed.State;
    }

    public static ChangeState Denied()
    {
        var state = AwaitingApproval();
        return ((ChainTransition)Chain.Decide(state, new SeatDenied(Samples.Approver(), Tap, null, "Conflicts with the freeze", state.ApprovalGate!.ContextPackHash))).State;
    }

    public static readonly GovernedTask Task = new()
    {
        Id = "TASK-0412",
        PlanId = "PLAN-0491",
        WaveId = "W1",
        Title = "Enforce KMS auto-rotation · 14 finance-domain CMKs",
        OwnerId = Sample.Owner.Id,
        RequesterId = Sample.Operator.Id,
        State = TaskState.Held,
        CreatedAt = Sample.Start,
        UpdatedAt = Sample.Start,
    };

    /// <summary>TASK-0412's gate with D. Park's signature in and Security Engineering awaited.</summary>
    public static ApprovalGateRecord TaskGate()
    {
        var routed = ApprovalGate.Route(Sample.Rules, new ApprovalRequest(Task.Id, "task", Sample.Operator.Id, Sample.KmsChange, Sample.Pack), Sample.Operator.Id, Sample.Start).Value!;
        return ApprovalGate.Approve(routed, Sample.DPark, "domain-cost-owner",
            "Rotation window lands in low-traffic hours. Cost delta contained to the finance envelope.", routed.ContextPackHash, Sample.Start.AddMinutes(82)).Value!;
    }

    public static DateTimeOffset TaskNow => Sample.Start.AddMinutes(124);

    public static CloseOut CloseOut(DateTimeOffset? rollbackUntil) => new(
        ChangeId,
        "AZ-STG-001",
        "CIS Azure 3.7 Public container access on a production account",
        Samples.Container().Id,
        "nina.ramirez",
        "nina.ramirez",
        ApprovalMode.Tap,
        Tap,
        Samples.Detected,
        Samples.Detected.AddSeconds(75),
        rollbackUntil);
}
