using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Limits;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance.Approvals;

/// <summary>What a subject (task or change) asks to be approved, with the attributes the rules read.</summary>
/// <param name="SubjectKind">"task" or "change".</param>
/// <param name="LedgerStream">Where the gate's entries go: "governance" for tasks, "remediation" for change records.</param>
public sealed record ApprovalRequest(
    string SubjectId,
    string SubjectKind,
    string RequesterId,
    ChangeAttributes Attributes,
    ContextPack ContextPack,
    string LedgerStream = GovernanceLedger.Stream);

/// <summary>
/// The approval gate, independent of tasks so change records reuse it: routing with reasons, parallel seats and
/// ratification seats that open after N approvals, expiry with re-routing, segregation of duties, and signatures bound
/// to the context pack hash.
/// </summary>
public static class ApprovalGate
{
    public static Decision<ApprovalGateRecord> Route(ApprovalRules rules, ApprovalRequest request, string actor, DateTimeOffset now)
    {
        if (request.ContextPack.Problem() is { } problem)
        {
            return Decision.Refuse(RefusalCode.Invalid, problem);
        }

        var attributes = request.Attributes;
        var seats = ImmutableArray.CreateBuilder<ApprovalSeat>();
        foreach (var rule in rules.Rules.Where(r => r.When.Matches(attributes)))
        {
            var approver = rules.Resolve(rule.To, attributes.Domain, out var missing);
            ApproverRef? fallback = null;
            if (approver is not null && rule.Fallback is not null)
            {
                fallback = rules.Resolve(rule.Fallback, attributes.Domain, out missing);
            }

            if (approver is null || (rule.Fallback is not null && fallback is null))
            {
                return Decision.Refuse(RefusalCode.Invalid, $"rule {rule.Id} applies but cannot be routed: {missing}");
            }

            if (approver is { Kind: ApproverKind.Principal } && approver.Id == request.RequesterId)
            {
                return Decision.Refuse(RefusalCode.SegregationOfDuties,
                    $"rule {rule.Id} routes {request.SubjectId} to {approver.Name}, who requested it; the requester cannot approve");
            }

            var twice = seats.FirstOrDefault(s => s.Approver is { Kind: ApproverKind.Principal } && s.Approver.Id == approver.Id && approver.Kind == ApproverKind.Principal);
            if (twice is not null)
            {
                return Decision.Refuse(RefusalCode.SegregationOfDuties,
                    $"rules {twice.RuleId} and {rule.Id} both route to {approver.Name}; one person cannot fill two seats");
            }

            var open = rule.Kind == SeatKind.Signature;
            seats.Add(new ApprovalSeat
            {
                Id = rule.Id,
                RuleId = rule.Id,
                RulesVersion = rules.Version,
                Kind = rule.Kind,
                Approver = approver,
                RoutedBecause = Because(rule, attributes),
                OpensAfterSignatures = rule.OpensAfterSignatures,
                ExpiresAfter = rule.ExpiresAfter,
                Fallback = fallback,
                State = open ? SeatState.Open : SeatState.Queued,
                OpenedAt = open ? now : null,
                ExpiresAt = open ? now + rule.ExpiresAfter : null,
            });
        }

        var gate = new ApprovalGateRecord
        {
            SubjectId = request.SubjectId,
            SubjectKind = request.SubjectKind,
            RequesterId = request.RequesterId,
            LedgerStream = request.LedgerStream,
            RulesVersion = rules.Version,
            Attributes = attributes,
            ContextPack = request.ContextPack,
            ContextPackHash = request.ContextPack.Hash(),
            State = seats.Count == 0 ? ApprovalGateState.Approved : ApprovalGateState.Open,
            Seats = seats.ToImmutable(),
            RoutedAt = now,
        };
        var entry = Entry(gate, "approval.routed", actor,
            seats.Count == 0 ? $"no rule of {rules.Version} routes this change" : $"{seats.Count} seats routed by rules {rules.Version}", now, new JsonObject
            {
                ["rulesVersion"] = rules.Version,
                ["contextPackSha256"] = gate.ContextPackHash,
                ["seats"] = new JsonArray([.. gate.Seats.Select(SeatJson)]),
            });
        return Decision.Accept(gate, [entry], gate.Seats.Where(s => s.State == SeatState.Open).Select(s => Requested(gate, s, now)));
    }

    public static Decision<ApprovalGateRecord> Approve(ApprovalGateRecord gate, Principal approver, string seatId, string rationale, string seenContextPackHash, DateTimeOffset now)
    {
        if (Check(gate, approver, seatId, rationale, seenContextPackHash, now) is { } refusal)
        {
            return refusal;
        }

        var seat = gate.Seats.First(s => s.Id == seatId);
        var signature = new ApprovalSignature(seatId, approver.Id, approver.Name, ApprovalVerdict.Approved, rationale.Trim(), gate.ContextPackHash, now);
        var seats = gate.Seats.Replace(seat, seat with { State = SeatState.Signed });
        var ledger = new List<LedgerEntry> { Entry(gate, "approval.signed", approver.Id, signature.Rationale, now, SignatureJson(seat, signature)) };
        var notifications = new List<Notification>();

        // Ratification seats post themselves once enough approvals are in.
        var approvals = gate.Signatures.Count(s => s.IsValid && s.Verdict == ApprovalVerdict.Approved) + 1;
        foreach (var queued in seats.Where(s => s.State == SeatState.Queued && s.OpensAfterSignatures <= approvals).ToList())
        {
            var opened = queued with { State = SeatState.Open, OpenedAt = now, ExpiresAt = now + queued.ExpiresAfter };
            seats = seats.Replace(queued, opened);
            ledger.Add(Entry(gate, "approval.ratification-opened", GovernanceLedger.SystemActor,
                $"{approvals} signatures in; posted to {opened.Approver.Name} for ratification", now, SeatJson(opened)));
            notifications.Add(Requested(gate, opened, now));
        }

        var cleared = seats.All(s => s.State == SeatState.Signed);
        var next = gate with
        {
            Seats = seats,
            Signatures = gate.Signatures.Add(signature),
            State = cleared ? ApprovalGateState.Approved : ApprovalGateState.Open,
        };
        if (cleared)
        {
            ledger.Add(Entry(gate, "approval.cleared", GovernanceLedger.SystemActor, $"all {seats.Length} seats signed", now,
                new JsonObject { ["contextPackSha256"] = gate.ContextPackHash }));
        }

        return Decision.Accept(next, ledger, notifications);
    }

    /// <summary>Denies from a seat: the gate closes and the subject is to close as won't-fix with the rationale.</summary>
    public static Decision<ApprovalGateRecord> Deny(ApprovalGateRecord gate, Principal approver, string seatId, string rationale, string seenContextPackHash, DateTimeOffset now)
    {
        if (Check(gate, approver, seatId, rationale, seenContextPackHash, now) is { } refusal)
        {
            return refusal;
        }

        var seat = gate.Seats.First(s => s.Id == seatId);
        var signature = new ApprovalSignature(seatId, approver.Id, approver.Name, ApprovalVerdict.Denied, rationale.Trim(), gate.ContextPackHash, now);
        var next = gate with
        {
            Seats = gate.Seats.Replace(seat, seat with { State = SeatState.Denied }),
            Signatures = gate.Signatures.Add(signature),
            State = ApprovalGateState.Denied,
            Denial = signature,
        };
        var entry = Entry(gate, "approval.denied", approver.Id, signature.Rationale, now, SignatureJson(seat, signature));
        var notice = new Notification("approval.denied", gate.RequesterId, $"{gate.SubjectId} denied by {approver.Name}",
            $"{approver.Name} denied {gate.SubjectId} from seat {seat.Id}: {signature.Rationale}. It closes as won't-fix.",
            new JsonObject { ["subject"] = gate.SubjectId, ["seat"] = seat.Id });
        return Decision.Accept(next, [entry], [notice]);
    }

    /// <summary>
    /// Attaches a changed context pack: every earlier signature is invalidated (it was given on another pack), signed and
    /// expired seats reopen, ratification seats queue again.
    /// </summary>
    public static Decision<ApprovalGateRecord> ReviseContextPack(ApprovalGateRecord gate, ContextPack pack, string actor, string reason, DateTimeOffset now)
    {
        if (gate.State == ApprovalGateState.Denied)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{gate.SubjectId} was denied by {gate.Denial!.ApproverName}; a denied gate stays closed");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return Decision.Refuse(RefusalCode.Invalid, "say why the context pack changed");
        }

        if (TextLimits.TooLong("reason", reason, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        if (pack.Problem() is { } problem)
        {
            return Decision.Refuse(RefusalCode.Invalid, problem);
        }

        var hash = pack.Hash();
        if (hash == gate.ContextPackHash)
        {
            return Decision.Refuse(RefusalCode.Invalid, $"the context pack is unchanged (sha256 {hash})");
        }

        var because = $"context pack changed from {gate.ContextPackHash} to {hash}: {reason}";
        var ledger = new List<LedgerEntry>
        {
            Entry(gate, "approval.context-revised", actor, reason, now, new JsonObject
            {
                ["previousSha256"] = gate.ContextPackHash,
                ["contextPackSha256"] = hash,
            }),
        };
        var signatures = gate.Signatures.Select(s =>
        {
            if (!s.IsValid)
            {
                return s;
            }

            ledger.Add(Entry(gate, "approval.signature-invalidated", GovernanceLedger.SystemActor, because, now, new JsonObject
            {
                ["seat"] = s.SeatId,
                ["approver"] = s.ApproverId,
                ["signedSha256"] = s.ContextPackHash,
            }));
            return s with { InvalidatedAt = now, InvalidatedBecause = because };
        }).ToImmutableArray();
        var seats = gate.Seats.Select(s => s.Kind == SeatKind.Ratification
            ? s with { State = SeatState.Queued, OpenedAt = null, ExpiresAt = null }
            : s with { State = SeatState.Open, OpenedAt = now, ExpiresAt = now + s.ExpiresAfter }).ToImmutableArray();
        var next = gate with
        {
            ContextPack = pack,
            ContextPackHash = hash,
            Signatures = signatures,
            Seats = seats,
            State = seats.IsEmpty ? ApprovalGateState.Approved : ApprovalGateState.Open,
        };
        return Decision.Accept(next, ledger, next.Seats.Where(s => s.State == SeatState.Open).Select(s => Requested(next, s, now)));
    }

    /// <summary>
    /// The expiry sweep (a durable timer calls it): each open seat past its expiry re-routes to its rule's fallback, or
    /// expires when none is left. Nothing due answers the gate unchanged with no entries.
    /// </summary>
    public static Decision<ApprovalGateRecord> ExpireDue(ApprovalGateRecord gate, DateTimeOffset now)
    {
        if (gate.State != ApprovalGateState.Open)
        {
            return Decision.Accept(gate);
        }

        var ledger = new List<LedgerEntry>();
        var notifications = new List<Notification>();
        var seats = gate.Seats;
        foreach (var seat in gate.Seats.Where(s => s.State == SeatState.Open && s.ExpiresAt <= now))
        {
            if (seat.Fallback is { } fallback)
            {
                var rerouted = seat with
                {
                    Approver = fallback,
                    Fallback = null,
                    ReroutedFrom = seat.Approver,
                    OpenedAt = now,
                    ExpiresAt = now + seat.ExpiresAfter,
                    RoutedBecause = $"{seat.RoutedBecause}; re-routed to {fallback.Name} after {seat.Approver.Name} let it expire at {GovernanceText.Minute(seat.ExpiresAt!.Value)}",
                };
                seats = seats.Replace(seat, rerouted);
                ledger.Add(Entry(gate, "approval.rerouted", GovernanceLedger.SystemActor,
                    $"seat {seat.Id} expired at {GovernanceLedger.Time(seat.ExpiresAt.Value)}; fallback per rule {seat.RuleId} ({seat.RulesVersion})", now,
                    new JsonObject { ["seat"] = seat.Id, ["from"] = seat.Approver.Id, ["to"] = fallback.Id }));
                notifications.Add(Requested(gate, rerouted, now));
            }
            else
            {
                seats = seats.Replace(seat, seat with { State = SeatState.Expired });
                ledger.Add(Entry(gate, "approval.expired", GovernanceLedger.SystemActor,
                    $"seat {seat.Id} expired at {GovernanceLedger.Time(seat.ExpiresAt!.Value)} with no fallback; a revised context pack reopens it", now,
                    new JsonObject { ["seat"] = seat.Id, ["approver"] = seat.Approver.Id }));
                notifications.Add(new Notification("approval.expired", gate.RequesterId, $"{gate.SubjectId}: seat {seat.Id} expired",
                    $"{seat.Approver.Name} did not sign {gate.SubjectId} by {GovernanceText.Minute(seat.ExpiresAt.Value)} and rule {seat.RuleId} names no fallback.",
                    new JsonObject { ["subject"] = gate.SubjectId, ["seat"] = seat.Id }));
            }
        }

        return ledger.Count == 0 ? Decision.Accept(gate) : Decision.Accept(gate with { Seats = seats }, ledger, notifications);
    }

    public static ApprovalGateStatus Evaluate(ApprovalGateRecord gate, DateTimeOffset now)
    {
        var approvals = gate.Signatures.Count(s => s.IsValid && s.Verdict == ApprovalVerdict.Approved);
        return new ApprovalGateStatus(gate.State, gate.ContextPackHash, [.. gate.Seats.Select(seat =>
        {
            var signature = gate.ValidSignatureOf(seat.Id);
            var status = seat.State switch
            {
                SeatState.Signed => $"Approved · {GovernanceText.Minute(signature!.SignedAt)}",
                SeatState.Denied => $"Denied · {GovernanceText.Minute(signature!.SignedAt)}",
                SeatState.Queued => $"Queued · auto-post after {seat.OpensAfterSignatures} signatures ({approvals} so far)",
                SeatState.Expired => $"Expired · {GovernanceText.Minute(seat.ExpiresAt!.Value)} · no fallback",
                _ when seat.ExpiresAt <= now => $"Expired · {GovernanceText.Minute(seat.ExpiresAt!.Value)} · awaiting re-route",
                _ => $"Awaiting · routed {GovernanceText.Minute(seat.OpenedAt!.Value)} · expires in {GovernanceText.Duration(seat.ExpiresAt!.Value - now)}",
            };
            return new SeatProgress(seat, signature, status);
        })]);
    }

    private static Refusal? Check(ApprovalGateRecord gate, Principal approver, string seatId, string rationale, string seenContextPackHash, DateTimeOffset now)
    {
        if (gate.State == ApprovalGateState.Denied)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{gate.SubjectId} was denied by {gate.Denial!.ApproverName}: {gate.Denial.Rationale}");
        }

        var seat = gate.Seats.FirstOrDefault(s => s.Id == seatId);
        if (seat is null)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"{gate.SubjectId} has no approval seat '{seatId}'");
        }

        if (string.IsNullOrWhiteSpace(rationale))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a rationale is required to approve or deny");
        }

        if (TextLimits.TooLong("rationale", rationale, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        if (!approver.IsIn(Role.Approver))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{approver.Name} does not hold the approver role");
        }

        if (approver.Id == gate.RequesterId)
        {
            return Decision.Refuse(RefusalCode.SegregationOfDuties, $"{approver.Name} requested {gate.SubjectId}; the requester cannot approve it");
        }

        var other = gate.Signatures.FirstOrDefault(s => s.IsValid && s.ApproverId == approver.Id && s.SeatId != seatId);
        if (other is not null)
        {
            return Decision.Refuse(RefusalCode.SegregationOfDuties,
                $"{approver.Name} already signed seat {other.SeatId} of {gate.SubjectId}; one person cannot fill two seats");
        }

        if (!seat.Approver.Admits(approver.Id))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"seat {seat.Id} is routed to {seat.Approver.Name}; {approver.Name} is not its approver");
        }

        if (seat.State == SeatState.Queued)
        {
            var approvals = gate.Signatures.Count(s => s.IsValid && s.Verdict == ApprovalVerdict.Approved);
            return Decision.Refuse(RefusalCode.Conflict, $"seat {seat.Id} opens after {seat.OpensAfterSignatures} signatures; {approvals} so far");
        }

        if (seat.State is SeatState.Signed or SeatState.Denied)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"seat {seat.Id} is already {seat.State.ToString().ToLowerInvariant()}");
        }

        if (seat.State == SeatState.Expired || seat.ExpiresAt <= now)
        {
            return Decision.Refuse(RefusalCode.Expired,
                $"seat {seat.Id} expired at {GovernanceLedger.Time(seat.ExpiresAt!.Value)}; it is re-routed or reopened, not signed late");
        }

        if (seenContextPackHash != gate.ContextPackHash)
        {
            return Decision.Refuse(RefusalCode.StaleContext,
                $"you reviewed context pack {seenContextPackHash}, but {gate.SubjectId} now carries {gate.ContextPackHash}; review the current pack and sign again",
                new JsonObject { ["contextPackSha256"] = gate.ContextPackHash });
        }

        return null;
    }

    private static string Because(RouteRule rule, ChangeAttributes change) => rule.Because
        .Replace("{domain}", change.Domain, StringComparison.Ordinal)
        .Replace("{controls}", string.Join(" + ", rule.When.ControlsAny.IsEmpty ? change.Controls : change.Controls.Intersect(rule.When.ControlsAny)), StringComparison.Ordinal)
        .Replace("{tags}", string.Join(", ", rule.When.TagsAny.IsEmpty ? change.Tags : change.Tags.Intersect(rule.When.TagsAny)), StringComparison.Ordinal)
        .Replace("{changeKinds}", string.Join(", ", rule.When.ChangeKindsAny.IsEmpty ? change.ChangeKinds : change.ChangeKinds.Intersect(rule.When.ChangeKindsAny)), StringComparison.Ordinal)
        .Replace("{systems}", change.ProductionSystemsTouched.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static Notification Requested(ApprovalGateRecord gate, ApprovalSeat seat, DateTimeOffset now) => new(
        "approval.requested",
        seat.Approver.Id,
        $"{gate.SubjectId} needs your approval",
        $"Routed because: {seat.RoutedBecause}. Context pack sha256 {gate.ContextPackHash}. Expires {GovernanceText.Minute(seat.ExpiresAt ?? now)}.",
        new JsonObject
        {
            ["subject"] = gate.SubjectId,
            ["seat"] = seat.Id,
            ["members"] = GovernanceLedger.Array(seat.Approver.Members),
            ["contextPackSha256"] = gate.ContextPackHash,
            ["expiresAt"] = seat.ExpiresAt is { } at ? GovernanceLedger.Time(at) : null,
        });

    private static LedgerEntry Entry(ApprovalGateRecord gate, string kind, string actor, string reason, DateTimeOffset now, JsonObject data) =>
        GovernanceLedger.Entry(kind, gate.SubjectId, actor, reason, now, data, gate.LedgerStream);

    private static JsonObject SeatJson(ApprovalSeat seat) => new()
    {
        ["seat"] = seat.Id,
        ["approver"] = seat.Approver.Id,
        ["routedBecause"] = seat.RoutedBecause,
        ["rule"] = seat.RuleId,
        ["rulesVersion"] = seat.RulesVersion,
        ["state"] = seat.State.ToString(),
    };

    private static JsonObject SignatureJson(ApprovalSeat seat, ApprovalSignature signature) => new()
    {
        ["seat"] = seat.Id,
        ["verdict"] = signature.Verdict.ToString(),
        ["routedBecause"] = seat.RoutedBecause,
        ["rule"] = seat.RuleId,
        ["rulesVersion"] = seat.RulesVersion,
        ["contextPackSha256"] = signature.ContextPackHash,
    };
}

/// <param name="Status">"Approved · 2026-04-21 14:22Z", "Awaiting · routed … · expires in 23h", "Queued · auto-post after 2 signatures (1 so far)".</param>
public sealed record SeatProgress(ApprovalSeat Seat, ApprovalSignature? Signature, string Status);

public sealed record ApprovalGateStatus(ApprovalGateState State, string ContextPackHash, ImmutableArray<SeatProgress> Seats)
{
    public int Signed => Seats.Count(s => s.Seat.State == SeatState.Signed);

    public int Total => Seats.Length;

    public bool IsClear => State == ApprovalGateState.Approved;

    /// <summary>"1 / 2 signed".</summary>
    public string Progress => $"{Signed} / {Total} signed";

    public DateTimeOffset? ClearedAt(DateTimeOffset routedAt) =>
        !IsClear ? null : Seats.Select(s => s.Signature?.SignedAt).Append(routedAt).Max();
}
