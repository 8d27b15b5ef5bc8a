using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>
/// The remediation chain's decisions, pure: <see cref="Open"/> makes a change's ticket, plan and approval route;
/// <see cref="Decide"/> answers (state, event) with a transition, a duplicate or a refusal. It reads no clock and does no
/// I/O, so the orchestration that holds the flow asks it, replays included, and the HTTP functions ask it the same
/// question before raising an event. A refused or duplicate event changes nothing. Given approval rules, a change that
/// waits for people routes an <see cref="ApprovalGate"/> and moves only once every seat is signed; without them, one tap decides.
/// </summary>
public sealed class ChangeChain
{
    public const string SubjectKind = "change";

    private readonly PatternRegistry _patterns;
    private readonly RemediationPolicy _policy;
    private readonly Func<ApprovalRules>? _approvalRules;

    /// <param name="policy">Read by <see cref="Open"/> only: a change carries the terms it opened under, and every later decision reads those.</param>
    public ChangeChain(PatternRegistry patterns, RemediationPolicy? policy = null, ApprovalRules? approvalRules = null)
        : this(patterns, policy, approvalRules is null ? null : () => approvalRules)
    {
    }

    /// <param name="approvalRules">Read when a change is routed, so a host can load its rules file lazily; a throw fails that routing.</param>
    public ChangeChain(PatternRegistry patterns, RemediationPolicy? policy, Func<ApprovalRules>? approvalRules)
    {
        _patterns = patterns;
        _policy = policy ?? new RemediationPolicy();
        _approvalRules = approvalRules;
    }

    public const string LedgerStream = "remediation";
    public const string SystemActor = "system:remediation";

    public RemediationPolicy Policy => _policy;

    /// <summary>The routing rules a change is routed by (null: one tap decides); read when asked.</summary>
    public ApprovalRules? ApprovalRules => _approvalRules?.Invoke();

    /// <summary>
    /// Opens a change for a finding: the ticket, the plan, and the approval route. Production (or irreversible)
    /// changes wait for an approver until the expiry timer; others are approved by policy and go straight to backup.
    /// </summary>
    /// <param name="follows">The rolled-back change whose violation this one opens again; such a change always waits for a person.</param>
    /// <param name="rules">The rules to route by, with their directory groups' members read (null: the chain's own).</param>
    public ChainTransition Open(ChangeId id, Finding finding, string requestedBy, DateTimeOffset at, ChangeId? follows = null, ApprovalRules? rules = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        var pattern = _patterns[finding.PatternId];
        var ticket = ChangeRecord.Open(id, pattern, finding, _policy.Owners);
        var plan = pattern.PlanFix(finding);
        var production = _policy.Production.IsMetBy(finding.Tags);
        var state = new ChangeState
        {
            Ticket = ticket,
            Finding = finding,
            Plan = plan,
            RequestedBy = requestedBy,
            Production = production,
            IrreversibleReason = pattern.IrreversibleReason,
            Stage = ChangeStage.Ticket,
            Version = 0,
            OpenedAt = at,
            RollbackWindow = _policy.RollbackWindow,
            AuditChannel = _policy.AuditChannel,
            ExceptionDuration = _policy.ExceptionDuration,
            Follows = follows,
        };
        var step = new Step(state, at);
        var opened = ticket.ToJson();
        opened["ownerSource"] = _policy.Owners.Infer(finding.Tags).Source;
        opened["evidence"] = new JsonArray([.. finding.Evidence.Select(e => (JsonNode)JsonValue.Create(e.ToString()))]);
        opened["production"] = production;
        opened["action"] = plan.Action;
        opened["command"] = plan.Command;
        opened["irreversible"] = pattern.IrreversibleReason;
        opened["follows"] = follows?.ToString();
        step.Move(ChangeStage.Approval, "change.opened", requestedBy, null, opened);

        if (!production && _policy.AutoApproveNonProduction && pattern.IsReversible && follows is null)
        {
            var approval = new ApprovalDecision(
                ApprovalOutcome.Granted, ApprovalMode.Auto, _policy.AutoApproverId, _policy.AutoApproverId, at, "non-production asset", false);
            step.State = step.State with { Approval = approval };
            step.Move(ChangeStage.Backup, "change.approved", _policy.AutoApproverId, "approved by policy: non-production asset", Approved(approval));
        }
        else
        {
            var expires = at + _policy.ApprovalExpiry;
            var approvers = ticket.Owner;
            if ((rules ?? _approvalRules?.Invoke()) is { } routing)
            {
                var routed = ApprovalGate.Route(routing, ApprovalRequestOf(step.State, pattern, expires), SystemActor, at);
                if (!routed.IsAccepted)
                {
                    var why = $"approval cannot be routed: {routed.Refusal.Message}";
                    step.State = step.State with { Outcome = why };
                    step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, why, new JsonObject { ["reason"] = why, ["changed"] = false });
                    step.Notify(Announce("change.stuck", state.AuditChannel, $"{id} stuck", why));
                    return step.Done();
                }
                step.State = step.State with { ApprovalGate = routed.Value };
                step.Append(routed.Ledger, routed.Notifications);
                approvers = string.Join(", ", routed.Value.Seats.Select(s => $"{s.Id} → {s.Approver.Name}"));
            }
            step.State = step.State with { ApprovalExpiresAt = expires };
            step.Record("change.approval-requested", SystemActor, $"expires {CloseOut.Iso(expires)}", new JsonObject
            {
                ["approvers"] = approvers,
                ["contextPackSha256"] = step.State.ApprovalGate?.ContextPackHash,
                ["action"] = plan.Action,
                ["expires"] = CloseOut.Iso(expires),
                ["production"] = production,
                ["irreversible"] = pattern.IrreversibleReason,
            });
            step.Notify(new Notification(
                "change.approval-requested",
                ticket.Owner,
                $"{id} awaits approval",
                string.Join('\n',
                    id.ToString(),
                    $"action: {plan.Action}",
                    $"asset: {plan.Asset.DisplayName}",
                    "scheduled: pending approval",
                    $"expires: {expires.UtcDateTime:yyyy-MM-dd HH:mm} UTC"),
                new JsonObject
                {
                    ["changeId"] = id.ToString(),
                    ["action"] = plan.Action,
                    ["asset"] = plan.Asset.ToString(),
                    ["command"] = plan.Command,
                    ["expires"] = CloseOut.Iso(expires),
                    ["irreversible"] = pattern.IrreversibleReason,
                }));
        }
        return step.Done();
    }

    /// <summary>The write a due step executes through the connector (fix, automatic restore, or revert).</summary>
    public static StorageOperation OperationFor(ChangeState state, ChainStep step) => step switch
    {
        ChainStep.ApplyFix => state.Plan.Operation,
        ChainStep.RestoreFromBackup => state.Restore?.Operation ?? throw new InvalidOperationException($"{state.Id} has no restore plan"),
        ChainStep.RevertChange => (state.Bundle?.Inverse as InversePlan)?.Operation
            ?? throw new InvalidOperationException($"{state.Id} has no inverse"),
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "step executes no write"),
    };

    /// <summary>The close-out notification the Alert step sends.</summary>
    public static Notification CloseOutNotification(ChangeState state) =>
        (state.CloseOut ?? throw new InvalidOperationException($"{state.Id} has no close-out yet")).ToNotification(state.AuditChannel);

    /// <summary>What <paramref name="event"/> does to a change in <paramref name="state"/>; deterministic in its arguments.</summary>
    public ChainOutcome Decide(ChangeState state, ChainEvent @event) => @event switch
    {
        ApprovalGranted e => Grant(state, e),
        ApprovalDenied e => Deny(state, e),
        SeatApproved e => SignSeat(state, e),
        SeatDenied e => DenySeat(state, e),
        ApprovalTimedOut e => TimeOut(state, e),
        BackupTaken e => BackedUp(state, e),
        FixApplied e => Fixed(state, e),
        FixObserved e => Verified(state, e),
        RollbackBundleStored e => BundleStored(state, e),
        CloseOutSent e => Closed(state, e),
        RestoreObserved e => Restored(state, e),
        RevertRequested e => RevertAsked(state, e),
        RevertObserved e => Reverted(state, e),
        StepFailed e => Failed(state, e),
        RollbackWindowClosed e => Settled(state, e),
        FollowUpOpened e => FollowedUp(state, e),
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event.GetType().Name, "unknown chain event"),
    };

    private static ChainOutcome Grant(ChangeState state, ApprovalGranted e) => Grant(state, e, null, null);

    private static ChainOutcome Grant(ChangeState state, ApprovalGranted e, Decision<ApprovalGateRecord>? signed, string? rationale)
    {
        if (NotOpenToApproval(state, e.At) is { } early)
        {
            return early;
        }
        if (state.ApprovalGate is { State: not ApprovalGateState.Approved } gate)
        {
            return new ChainRefusal(RefusalCode.Conflict,
                $"{state.Id} waits on its approval gate ({ApprovalGate.Evaluate(gate, e.At).Progress}); sign a seat with a rationale and the context pack hash");
        }
        if (!e.Approver.IsIn(Role.Approver))
        {
            return new ChainRefusal(RefusalCode.Forbidden, $"{e.Approver.Id} does not hold the {Role.Approver} role");
        }
        if (string.Equals(e.Approver.Id, state.RequestedBy, StringComparison.OrdinalIgnoreCase))
        {
            return new ChainRefusal(RefusalCode.SegregationOfDuties, $"{e.Approver.Id} requested {state.Id} and cannot approve it");
        }
        if (IrreversibleNotAcknowledged(state, e.AcknowledgesIrreversible) is { } unacknowledged)
        {
            return unacknowledged;
        }
        var approval = new ApprovalDecision(ApprovalOutcome.Granted, ApprovalMode.Tap, e.Approver.Id, e.Approver.Name, e.At, rationale, e.AcknowledgesIrreversible);
        var step = new Step(state with { Approval = approval }, e.At);
        if (signed is not null)
        {
            step.Append(signed.Ledger, signed.Notifications);
        }
        var data = Approved(approval);
        if (state.ApprovalGate is { } cleared)
        {
            data["gate"] = GateJson(cleared);
        }
        step.Move(ChangeStage.Backup, "change.approved", e.Approver.Id, rationale, data);
        return step.Done();
    }

    private static ChainOutcome Deny(ChangeState state, ApprovalDenied e) => Deny(state, e, null);

    private static ChainOutcome Deny(ChangeState state, ApprovalDenied e, Decision<ApprovalGateRecord>? denied)
    {
        if (NotOpenToDenial(state, e.At) is { } early)
        {
            return early;
        }
        if (string.IsNullOrWhiteSpace(e.Reason))
        {
            return new ChainRefusal(RefusalCode.Invalid, "a denial needs a reason; it goes on the record");
        }
        if (!e.Approver.IsIn(Role.Approver))
        {
            return new ChainRefusal(RefusalCode.Forbidden, $"{e.Approver.Id} does not hold the {Role.Approver} role");
        }
        if (state.ApprovalGate is { State: not ApprovalGateState.Denied })
        {
            return new ChainRefusal(RefusalCode.Conflict, $"{state.Id} is decided by its approval gate; deny from a seat with a rationale and the context pack hash");
        }
        var denial = new ApprovalDecision(ApprovalOutcome.Denied, ApprovalMode.Tap, e.Approver.Id, e.Approver.Name, e.At, e.Reason.Trim(), false);
        var exception = new RiskException("wont-fix", e.Approver.Id, e.Approver.Name, denial.Reason!, e.At, e.At + state.ExceptionDuration);
        var step = new Step(state with { Approval = denial, Outcome = $"denied: {denial.Reason}", Exception = exception }, e.At);
        if (denied is not null)
        {
            step.Append(denied.Ledger, denied.Notifications);
        }
        var data = new JsonObject
        {
            ["approver"] = denial.ApproverId,
            ["approverName"] = denial.ApproverName,
            ["at"] = CloseOut.Iso(denial.At),
            ["reason"] = denial.Reason,
            ["exception"] = exception.ToJson(),
        };
        if (state.ApprovalGate is { } gate)
        {
            data["gate"] = GateJson(gate);
        }
        step.Move(ChangeStage.WontFix, "change.denied", e.Approver.Id, denial.Reason, data);
        step.Notify(Announce("change.wont-fix", state.Ticket.Owner, $"{state.Id} closed as won't-fix", $"denied by {denial.ApproverName}: {denial.Reason}"));
        return step.Done();
    }

    /// <summary>
    /// One seat signed: the gate decides (rationale, segregation of duties, seat eligibility, expiry, context pack hash);
    /// the change moves on only when the gate clears, and the signature that cleared it is the change's approval.
    /// </summary>
    private static ChainOutcome SignSeat(ChangeState state, SeatApproved e)
    {
        if (NotOpenToApproval(state, e.At) is { } early)
        {
            return early;
        }
        if (state.ApprovalGate is not { } gate)
        {
            return NoGate(state);
        }
        if (gate.Signatures.FirstOrDefault(s => s.IsValid && s.Verdict == ApprovalVerdict.Approved && s.ApproverId == e.Approver.Id
                && (e.SeatId is null || s.SeatId == e.SeatId)) is { } earlier)
        {
            return new ChainDuplicate($"{e.Approver.Id} already signed seat {earlier.SeatId} at {CloseOut.Iso(earlier.SignedAt)}");
        }
        if (IrreversibleNotAcknowledged(state, e.AcknowledgesIrreversible) is { } unacknowledged)
        {
            return unacknowledged;
        }
        var seatId = SeatOf(gate, e.Approver, e.SeatId, out var ambiguous);
        if (ambiguous is not null)
        {
            return ambiguous;
        }
        var signed = ApprovalGate.Approve(gate, e.Approver, seatId, e.Rationale ?? "", e.ContextPackSha256 ?? "", e.At);
        if (!signed.IsAccepted)
        {
            return Refused(signed.Refusal);
        }
        var next = state with { ApprovalGate = signed.Value };
        if (signed.Value.State == ApprovalGateState.Approved)
        {
            return Grant(next, new ApprovalGranted(e.Approver, e.At, e.AcknowledgesIrreversible), signed, e.Rationale!.Trim());
        }
        var step = new Step(next, e.At);
        step.Append(signed.Ledger, signed.Notifications);
        var seat = signed.Value.Seats.First(s => s.Id == seatId);
        step.Record("change.seat-signed", e.Approver.Id, $"seat {seat.Id}: {ApprovalGate.Evaluate(signed.Value, e.At).Progress}", new JsonObject
        {
            ["seat"] = seat.Id,
            ["approver"] = e.Approver.Id,
            ["approverName"] = e.Approver.Name,
            ["rationale"] = e.Rationale!.Trim(),
            ["routedBecause"] = seat.RoutedBecause,
            ["contextPackSha256"] = signed.Value.ContextPackHash,
            ["gate"] = GateJson(signed.Value),
        });
        return step.Done();
    }

    private static ChainOutcome DenySeat(ChangeState state, SeatDenied e)
    {
        if (NotOpenToDenial(state, e.At) is { } early)
        {
            return early;
        }
        if (state.ApprovalGate is not { } gate)
        {
            return NoGate(state);
        }
        var seatId = SeatOf(gate, e.Approver, e.SeatId, out var ambiguous);
        if (ambiguous is not null)
        {
            return ambiguous;
        }
        var denied = ApprovalGate.Deny(gate, e.Approver, seatId, e.Rationale ?? "", e.ContextPackSha256 ?? "", e.At);
        return denied.IsAccepted
            ? Deny(state with { ApprovalGate = denied.Value }, new ApprovalDenied(e.Approver, e.At, e.Rationale!), denied)
            : Refused(denied.Refusal);
    }

    /// <summary>
    /// An approval after the decision is a duplicate of an approval and conflicts with a denial. Either way it is decided
    /// before the seat, the approver or the hash is looked at: whoever sends it hears who decided and when.
    /// </summary>
    private static ChainOutcome? NotOpenToApproval(ChangeState state, DateTimeOffset at) => Decided(state) is { } decided
        ? decided.Outcome == ApprovalOutcome.Granted
            ? new ChainDuplicate(AlreadyDecided(decided))
            : new ChainRefusal(RefusalCode.Conflict, AlreadyDecided(decided))
        : NotAwaitingDecision(state, at);

    /// <summary>A denial after the decision is a duplicate of a denial and conflicts with an approval.</summary>
    private static ChainOutcome? NotOpenToDenial(ChangeState state, DateTimeOffset at) => Decided(state) is { } decided
        ? decided.Outcome == ApprovalOutcome.Denied
            ? new ChainDuplicate(AlreadyDecided(decided))
            : new ChainRefusal(RefusalCode.Conflict, AlreadyDecided(decided))
        : NotAwaitingDecision(state, at);

    private static string AlreadyDecided(ApprovalDecision decided) => decided.Outcome == ApprovalOutcome.Granted
        ? $"already approved by {decided.ApproverId} at {CloseOut.Iso(decided.At)}"
        : $"already denied by {decided.ApproverId} at {CloseOut.Iso(decided.At)}: {decided.Reason}";

    private static ChainRefusal? IrreversibleNotAcknowledged(ChangeState state, bool acknowledged) =>
        state.IrreversibleReason is { } reason && !acknowledged
            ? new ChainRefusal(RefusalCode.IrreversibleNotAcknowledged,
                $"this fix cannot be undone ({reason}); the approval must acknowledge that it is irreversible")
            : null;

    private static ChainRefusal NoGate(ChangeState state) => new(RefusalCode.Invalid, $"{state.Id} has no routed approval gate");

    /// <summary>
    /// The named seat, or the one open seat the approver may fill. When they fill none, the first open seat is tried so
    /// the gate answers why (the requester, one person one seat, not its approver).
    /// </summary>
    private static string SeatOf(ApprovalGateRecord gate, Principal approver, string? seatId, out ChainRefusal? ambiguous)
    {
        ambiguous = null;
        if (!string.IsNullOrWhiteSpace(seatId))
        {
            return seatId;
        }
        var open = gate.Seats.Where(s => s.State == SeatState.Open).ToList();
        var eligible = open.Where(s => s.Approver.Admits(approver.Id)).ToList();
        if (eligible.Count > 1)
        {
            ambiguous = new ChainRefusal(RefusalCode.Invalid,
                $"{approver.Id} may fill seats {string.Join(", ", eligible.Select(s => s.Id))} of {gate.SubjectId}; name the seat");
            return "";
        }
        return (eligible.FirstOrDefault() ?? open.FirstOrDefault() ?? gate.Seats.FirstOrDefault())?.Id ?? "";
    }

    private static ChainRefusal Refused(Refusal refusal) => new(refusal.Code switch
    {
        Governance.RefusalCode.Invalid => RefusalCode.Invalid,
        Governance.RefusalCode.Forbidden => RefusalCode.Forbidden,
        Governance.RefusalCode.SegregationOfDuties => RefusalCode.SegregationOfDuties,
        Governance.RefusalCode.NotFound => RefusalCode.NotFound,
        Governance.RefusalCode.Expired => RefusalCode.Expired,
        Governance.RefusalCode.StaleContext => RefusalCode.StaleContext,
        _ => RefusalCode.Conflict,
    }, refusal.Message, refusal.Data);

    /// <summary>What the approvers review: the ticket, the az command with the predicted state, and how it is undone.</summary>
    private ApprovalRequest ApprovalRequestOf(ChangeState state, ViolationPattern pattern, DateTimeOffset expires)
    {
        var ticket = state.Ticket;
        var plan = state.Plan;
        var attributes = new ChangeAttributes(_policy.ApprovalDomain)
        {
            Tags = [state.Production ? "production" : "non-production", $"severity:{ticket.Severity.ToString().ToLowerInvariant()}", $"owner:{ticket.Owner}"],
            ChangeKinds = ["remediation", plan.PatternId],
            Controls = [.. pattern.Frameworks.Select(f => f.ToString())],
            ProductionSystemsTouched = state.Production ? 1 : 0,
        };
        var pack = new ContextPack(
            Impact: ticket.Render(),
            WorkloadDiff: string.Join('\n',
                plan.Command,
                $"predicted: {JsonSerializer.Serialize(plan.Predicted, RemediationJson.Options)}"),
            ChangeWindow: new ChangeWindow(state.OpenedAt, expires),
            PostureScope: $"{plan.Action} on {plan.Asset} · {string.Join(" · ", pattern.Frameworks)}",
            ReversalTrigger: pattern.IrreversibleReason is { } irreversible
                ? $"irreversible: {irreversible}"
                : $"inverse computed from the backup; revertible by change id for {_policy.RollbackWindow.TotalDays:0} days after close; restored automatically if verification mismatches");
        return new ApprovalRequest(ticket.Id.ToString(), SubjectKind, state.RequestedBy, attributes, pack, LedgerStream);
    }

    private static JsonObject GateJson(ApprovalGateRecord gate) => new()
    {
        ["state"] = gate.State.ToString().ToLowerInvariant(),
        ["rulesVersion"] = gate.RulesVersion,
        ["contextPackSha256"] = gate.ContextPackHash,
        ["seats"] = new JsonArray([.. gate.Seats.Select(seat => (JsonNode)new JsonObject
        {
            ["seat"] = seat.Id,
            ["approver"] = seat.Approver.Name,
            ["routedBecause"] = seat.RoutedBecause,
            ["state"] = seat.State.ToString().ToLowerInvariant(),
            ["signedBy"] = gate.ValidSignatureOf(seat.Id)?.ApproverId,
            ["rationale"] = gate.ValidSignatureOf(seat.Id)?.Rationale,
        })]),
    };

    private static ChainOutcome TimeOut(ChangeState state, ApprovalTimedOut e)
    {
        if (state.Stage != ChangeStage.Approval)
        {
            return new ChainDuplicate($"approval timer is moot: the change is at {state.Stage.Name()}");
        }
        var expires = state.ApprovalExpiresAt!.Value;
        if (e.At < expires)
        {
            return new ChainNotYetDue(expires);
        }
        var step = new Step(state with { Outcome = $"expired: nobody decided by {CloseOut.Iso(expires)}; nothing was changed" }, e.At);
        step.Move(ChangeStage.Expired, "change.expired", SystemActor, "nothing was changed", new JsonObject
        {
            ["expires"] = CloseOut.Iso(expires),
            ["changed"] = false,
        });
        step.Notify(Announce("change.expired", state.Ticket.Owner, $"{state.Id} expired", "nobody approved or denied it in time; nothing was changed"));
        return step.Done();
    }

    private ChainOutcome BackedUp(ChangeState state, BackupTaken e)
    {
        if (state.Backup is not null)
        {
            return new ChainDuplicate($"backup already taken at {state.BackupLocation}");
        }
        if (NotAt(state, ChangeStage.Backup, "a backup") is { } refusal)
        {
            return refusal;
        }
        if (e.Snapshot.Id != state.Plan.Asset)
        {
            return new ChainRefusal(RefusalCode.Invalid, $"backup of {e.Snapshot.Id} given for {state.Plan.Asset}");
        }
        var step = new Step(state with { Backup = e.Snapshot, BackupLocation = e.Location, BackupSha256 = e.Sha256 }, e.At);
        var backedUp = new JsonObject { ["location"] = e.Location, ["sha256"] = e.Sha256 };

        // The approver approved this plan against the state it was made from; if the asset moved since, stop.
        var drift = Verification.Compare(new PredictedState(state.Plan.Before), _patterns[state.Plan.PatternId].Project(e.Snapshot));
        if (!drift.Matches)
        {
            var why = $"asset changed since detection ({string.Join("; ", drift.Mismatches)}); the approved plan was not applied";
            step.Record("change.backed-up", SystemActor, e.Location, backedUp);
            step.State = step.State with { Outcome = why };
            step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, why, new JsonObject { ["reason"] = why, ["changed"] = false });
            step.Notify(Announce("change.stuck", state.AuditChannel, $"{state.Id} stuck", why));
            return step.Done();
        }
        step.Move(ChangeStage.Fix, "change.backed-up", SystemActor, e.Location, backedUp);
        return step.Done();
    }

    private static ChainOutcome Fixed(ChangeState state, FixApplied e)
    {
        if (state.FixAppliedAt is not null)
        {
            return new ChainDuplicate("fix already applied");
        }
        if (NotAt(state, ChangeStage.Fix, "the fix") is { } refusal)
        {
            return refusal;
        }
        var step = new Step(state with { FixAppliedAt = e.At }, e.At);
        step.Move(ChangeStage.Verify, "change.fixed", SystemActor, state.Plan.Action, new JsonObject
        {
            ["action"] = state.Plan.Action,
            ["command"] = state.Plan.Command,
        });
        return step.Done();
    }

    private ChainOutcome Verified(ChangeState state, FixObserved e)
    {
        if (state.Verification is not null)
        {
            return new ChainDuplicate("fix already verified");
        }
        if (NotAt(state, ChangeStage.Verify, "a verification") is { } refusal)
        {
            return refusal;
        }
        if (e.Observed.Id != state.Plan.Asset)
        {
            return new ChainRefusal(RefusalCode.Invalid, $"read-back of {e.Observed.Id} given for {state.Plan.Asset}");
        }
        var pattern = _patterns[state.Plan.PatternId];
        var verification = pattern.Verify(state.Plan.Predicted, e.Observed);
        var inverse = pattern.Inverse(state.Plan, state.Backup!);
        var step = new Step(state with { Verification = verification }, e.At);
        if (verification.Matches)
        {
            var bundle = new RollbackBundle(
                state.Id,
                inverse,
                state.BackupLocation!,
                state.BackupSha256!,
                e.At,
                inverse is InversePlan ? e.At + state.RollbackWindow : null);
            step.State = step.State with { Bundle = bundle };
            step.Move(ChangeStage.RollbackBundle, "change.verified", SystemActor, "read-back matches the prediction", Checks(verification));
            return step.Done();
        }

        var mismatch = $"verification mismatch: {string.Join("; ", verification.Mismatches)}";
        if (inverse is InversePlan restore)
        {
            step.State = step.State with { Restore = restore, Outcome = mismatch };
            step.Move(ChangeStage.Restoring, "change.verify-mismatch", SystemActor, mismatch, Checks(verification));
            return step.Done();
        }
        var why = $"{mismatch}; the fix is irreversible, so nothing was restored";
        step.State = step.State with { Outcome = why };
        step.Record("change.verify-mismatch", SystemActor, mismatch, Checks(verification));
        step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, why, new JsonObject { ["reason"] = why, ["changed"] = true });
        step.Notify(Announce("change.stuck", state.AuditChannel, $"{state.Id} stuck", why));
        return step.Done();
    }

    private static ChainOutcome BundleStored(ChangeState state, RollbackBundleStored e)
    {
        if (state.BundleLocation is not null)
        {
            return new ChainDuplicate($"rollback bundle already stored at {state.BundleLocation}");
        }
        if (NotAt(state, ChangeStage.RollbackBundle, "a rollback bundle") is { } refusal)
        {
            return refusal;
        }
        var bundle = state.Bundle!;
        var approval = state.Approval!;
        var closeOut = new CloseOut(
            state.Id,
            state.Plan.PatternId,
            state.Ticket.Violation.Primary?.ToString() ?? state.Plan.PatternId,
            state.Plan.Asset,
            approval.ApproverId,
            approval.ApproverName,
            approval.Mode,
            approval.At,
            state.Ticket.Detected,
            e.At,
            bundle.AvailableUntil);
        var step = new Step(state with { BundleLocation = e.Location, CloseOut = closeOut }, e.At);
        step.Move(ChangeStage.Alert, "change.rollback-bundle-stored", SystemActor, e.Location, new JsonObject
        {
            ["location"] = e.Location,
            ["availableUntil"] = bundle.AvailableUntil is { } until ? CloseOut.Iso(until) : null,
            ["inverse"] = bundle.Inverse is InversePlan plan ? plan.Command : null,
            ["irreversible"] = bundle.Inverse is Irreversible irreversible ? irreversible.Reason : null,
        });
        return step.Done();
    }

    private static ChainOutcome Closed(ChangeState state, CloseOutSent e)
    {
        if (state.Stage is ChangeStage.Closed or ChangeStage.Reverting or ChangeStage.Reverted
            || (state.Stage == ChangeStage.Stuck && state.Revert is not null))
        {
            return new ChainDuplicate("close-out already sent");
        }
        if (NotAt(state, ChangeStage.Alert, "the close-out") is { } refusal)
        {
            return refusal;
        }
        var step = new Step(state, e.At);
        step.Move(ChangeStage.Closed, "change.closed", SystemActor, null, state.CloseOut!.ToJson());
        return step.Done();
    }

    private ChainOutcome Restored(ChangeState state, RestoreObserved e)
    {
        if (state.RestoreVerification is not null)
        {
            return new ChainDuplicate("restore already verified");
        }
        if (NotAt(state, ChangeStage.Restoring, "a restore") is { } refusal)
        {
            return refusal;
        }
        if (e.Observed.Id != state.Plan.Asset)
        {
            return new ChainRefusal(RefusalCode.Invalid, $"read-back of {e.Observed.Id} given for {state.Plan.Asset}");
        }
        var check = _patterns[state.Plan.PatternId].Verify(state.Restore!.Predicted, e.Observed);
        var step = new Step(state with { RestoreVerification = check }, e.At);
        if (check.Matches)
        {
            var why = $"{state.Outcome}; restored from backup {state.BackupLocation}";
            step.State = step.State with { Outcome = why };
            step.Move(ChangeStage.RolledBack, "change.rolled-back", SystemActor, why, new JsonObject
            {
                ["why"] = new JsonArray([.. state.Verification!.Mismatches.Select(m => (JsonNode)JsonValue.Create(m))]),
                ["backup"] = state.BackupLocation,
                ["command"] = state.Restore.Command,
            });
            step.Notify(Announce("change.rolled-back", state.AuditChannel, $"{state.Id} rolled back", why));
            return step.Done();
        }
        var stuck = $"automatic restore did not verify: {string.Join("; ", check.Mismatches)}";
        step.State = step.State with { Outcome = stuck };
        step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, stuck, new JsonObject { ["reason"] = stuck, ["changed"] = true });
        step.Notify(Announce("change.stuck", state.AuditChannel, $"{state.Id} stuck", stuck));
        return step.Done();
    }

    private static ChainOutcome FollowedUp(ChangeState state, FollowUpOpened e)
    {
        if (state.FollowedBy is { } earlier)
        {
            return earlier == e.FollowUp
                ? new ChainDuplicate($"already followed up by {earlier}")
                : new ChainRefusal(RefusalCode.Conflict, $"{state.Id} is already followed up by {earlier}");
        }
        if (NotAt(state, ChangeStage.RolledBack, "a follow-up") is { } refusal)
        {
            return refusal;
        }
        var step = new Step(state with { FollowedBy = e.FollowUp }, e.At);
        var why = $"the violation the rollback left in place is {e.FollowUp}";
        step.Record("change.followed-up", SystemActor, why, new JsonObject { ["followUp"] = e.FollowUp.ToString() });
        step.Notify(Announce("change.followed-up", state.Ticket.Owner, $"{state.Id} rolled back; opened {e.FollowUp}", why));
        return step.Done();
    }

    /// <summary>
    /// Whether a change still holds its asset + pattern against a new detection at <paramref name="at"/>. Closed and
    /// expired changes let go (a recurrence is a new violation), and so does a rolled-back one (its follow-up opens at
    /// once); a won't-fix or a revert holds while its exception stands; anything else is still being worked on.
    /// </summary>
    public static bool HoldsAsset(ChangeState state, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Stage switch
        {
            ChangeStage.Closed or ChangeStage.Expired or ChangeStage.RolledBack => false,
            ChangeStage.WontFix or ChangeStage.Reverted => state.Exception?.StandsAt(at) ?? true,
            _ => true,
        };
    }

    private static ChainOutcome RevertAsked(ChangeState state, RevertRequested e)
    {
        if (state.Revert is { } earlier)
        {
            return new ChainDuplicate($"revert already requested by {earlier.ById} at {CloseOut.Iso(earlier.At)}");
        }
        if (!e.By.IsIn(Role.Operator))
        {
            return new ChainRefusal(RefusalCode.Forbidden, $"{e.By.Id} may not revert changes (needs {Role.Operator} or {Role.Admin})");
        }
        if (state.Stage != ChangeStage.Closed)
        {
            return new ChainRefusal(RefusalCode.Conflict, $"{state.Id} is {state.Stage.Name()}; only a closed change can be reverted");
        }
        if (state.Bundle!.Inverse is Irreversible irreversible)
        {
            return new ChainRefusal(RefusalCode.Conflict, $"{state.Id} cannot be reverted: {irreversible.Reason}");
        }
        if (e.At >= state.Bundle.AvailableUntil || state.SettledAt is not null)
        {
            return new ChainRefusal(RefusalCode.Expired, $"the rollback bundle of {state.Id} expired at {CloseOut.Iso(state.Bundle.AvailableUntil!.Value)}");
        }
        var request = new RevertRequest(e.By.Id, e.By.Name, e.At);
        var step = new Step(state with { Revert = request }, e.At);
        step.Move(ChangeStage.Reverting, "change.revert-requested", e.By.Id, null, new JsonObject
        {
            ["by"] = request.ById,
            ["byName"] = request.ByName,
            ["at"] = CloseOut.Iso(request.At),
            ["command"] = ((InversePlan)state.Bundle.Inverse).Command,
        });
        return step.Done();
    }

    private ChainOutcome Reverted(ChangeState state, RevertObserved e)
    {
        if (state.RevertVerification is not null)
        {
            return new ChainDuplicate("revert already verified");
        }
        if (NotAt(state, ChangeStage.Reverting, "a revert") is { } refusal)
        {
            return refusal;
        }
        if (e.Observed.Id != state.Plan.Asset)
        {
            return new ChainRefusal(RefusalCode.Invalid, $"read-back of {e.Observed.Id} given for {state.Plan.Asset}");
        }
        var inverse = (InversePlan)state.Bundle!.Inverse;
        var check = _patterns[state.Plan.PatternId].Verify(inverse.Predicted, e.Observed);
        var step = new Step(state with { RevertVerification = check }, e.At);
        if (check.Matches)
        {
            var why = $"reverted by {state.Revert!.ById}: state before the fix restored";
            var exception = new RiskException("reverted", state.Revert.ById, state.Revert.ByName, why, e.At, e.At + state.ExceptionDuration);
            step.State = step.State with { Outcome = why, Exception = exception };
            var data = Checks(check);
            data["exception"] = exception.ToJson();
            step.Move(ChangeStage.Reverted, "change.reverted", state.Revert.ById, why, data);
            step.Notify(Announce("change.reverted", state.AuditChannel, $"{state.Id} reverted", why));
            return step.Done();
        }
        var stuck = $"revert did not verify: {string.Join("; ", check.Mismatches)}";
        step.State = step.State with { Outcome = stuck };
        step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, stuck, new JsonObject { ["reason"] = stuck, ["changed"] = true });
        step.Notify(Announce("change.stuck", state.AuditChannel, $"{state.Id} stuck", stuck));
        return step.Done();
    }

    /// <summary>A step failed for good: the change parks as stuck, in the ledger, with an alert. A failure of a step not due is moot.</summary>
    private static ChainOutcome Failed(ChangeState state, StepFailed e)
    {
        if (state.Stage.StepAt() != e.Step)
        {
            return new ChainDuplicate($"{e.Step} is not due at {state.Stage.Name()}");
        }
        var why = $"{e.Step} failed {e.Attempts} times: {e.Error}";
        var step = new Step(state with { Outcome = why }, e.At);
        step.Move(ChangeStage.Stuck, "change.stuck", SystemActor, why, new JsonObject
        {
            ["reason"] = why,
            ["step"] = e.Step.ToString(),
            ["attempts"] = e.Attempts,
            ["stage"] = state.Stage.Name(),
        });
        step.Notify(Announce("change.stuck", state.AuditChannel, $"{state.Id} stuck", why));
        return step.Done();
    }

    /// <summary>The rollback window closed on a closed change: the bundle expired, the change is settled for the audit.</summary>
    private static ChainOutcome Settled(ChangeState state, RollbackWindowClosed e)
    {
        if (state.Stage != ChangeStage.Closed || state.SettledAt is not null || state.Bundle?.AvailableUntil is not { } until)
        {
            return new ChainDuplicate($"the rollback window is moot: {state.Id} is {state.Stage.Name()}");
        }
        if (e.At < until)
        {
            return new ChainNotYetDue(until);
        }
        var step = new Step(state with { SettledAt = e.At }, e.At);
        step.Record("change.settled", SystemActor, $"rollback window closed at {CloseOut.Iso(until)}; the rollback bundle expired", new JsonObject
        {
            ["availableUntil"] = CloseOut.Iso(until),
            ["bundle"] = state.BundleLocation,
        });
        return step.Done();
    }

    private static ApprovalDecision? Decided(ChangeState state) => state.Approval;

    /// <summary>The ledger entry id of the <paramref name="index"/>-th entry of the transition that reached <paramref name="version"/>.</summary>
    public static string EntryIdOf(ChangeId id, int version, int index) => $"{id}/{version}/{index}";

    private static ChainRefusal? NotAwaitingDecision(ChangeState state, DateTimeOffset at)
    {
        if (state.Stage == ChangeStage.Expired || (state.Stage == ChangeStage.Approval && at >= state.ApprovalExpiresAt))
        {
            return new ChainRefusal(RefusalCode.Expired, $"the approval request of {state.Id} expired at {CloseOut.Iso(state.ApprovalExpiresAt!.Value)}");
        }
        return state.Stage == ChangeStage.Approval
            ? null
            : new ChainRefusal(RefusalCode.Conflict, $"{state.Id} is {state.Stage.Name()}, not awaiting approval");
    }

    private static ChainRefusal? NotAt(ChangeState state, ChangeStage stage, string what) =>
        state.Stage == stage
            ? null
            : new ChainRefusal(RefusalCode.Conflict, $"{what} is not due: {state.Id} is {state.Stage.Name()}, not {stage.Name()}");

    private static JsonObject Approved(ApprovalDecision approval) => new()
    {
        ["approver"] = approval.ApproverId,
        ["approverName"] = approval.ApproverName,
        ["mode"] = approval.Mode.ToString().ToLowerInvariant(),
        ["at"] = CloseOut.Iso(approval.At),
        ["acknowledgedIrreversible"] = approval.AcknowledgedIrreversible,
        ["reason"] = approval.Reason,
    };

    private static JsonObject Checks(Verification verification) => new()
    {
        ["matches"] = verification.Matches,
        ["fields"] = new JsonArray([.. verification.Fields.Select(f => (JsonNode)JsonValue.Create(f.Reason))]),
    };

    private static Notification Announce(string kind, string recipient, string subject, string summary) =>
        new(kind, recipient, subject, summary, null);

    /// <summary>Accumulates one transition's outputs; every move adds a history row and a ledger entry.</summary>
    private sealed class Step(ChangeState state, DateTimeOffset at)
    {
        private readonly List<ChainHistoryEntry> _history = [];
        private readonly List<LedgerEntry> _ledger = [];
        private readonly List<Notification> _notifications = [];

        public ChangeState State { get; set; } = state;

        public void Move(ChangeStage to, string kind, string actor, string? detail, JsonObject data)
        {
            var from = State.Stage;
            State = State with { Stage = to };
            Add(from, to, kind, actor, detail, data);
        }

        public void Record(string kind, string actor, string? detail, JsonObject data) =>
            Add(State.Stage, State.Stage, kind, actor, detail, data);

        public void Notify(Notification notification) => _notifications.Add(notification);

        /// <summary>The approval gate's own records (same stream), ahead of the chain's.</summary>
        public void Append(IEnumerable<LedgerEntry> ledger, IEnumerable<Notification> notifications)
        {
            _ledger.AddRange(ledger);
            _notifications.AddRange(notifications);
        }

        /// <summary>
        /// The transition, each ledger entry carrying its idempotency key: the change, the version this transition reaches
        /// (every transition adds history, so versions are unique per change) and the entry's place in it.
        /// </summary>
        public ChainTransition Done() => new(
            State,
            _history,
            [.. _ledger.Select((entry, i) => entry with { EntryId = EntryIdOf(State.Id, State.Version, i) })],
            _notifications);

        private void Add(ChangeStage from, ChangeStage to, string kind, string actor, string? detail, JsonObject data)
        {
            State = State with { Version = State.Version + 1 };
            _history.Add(new ChainHistoryEntry(State.Version, at, kind, from, to, actor, detail));
            data["changeId"] = State.Id.ToString();
            data["stage"] = to.Name();
            data["pattern"] = State.Plan.PatternId;
            data["asset"] = State.Plan.Asset.ToString();
            _ledger.Add(new LedgerEntry(LedgerStream, kind, State.Id.ToString(), actor, data));
        }
    }
}
