using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// Change records over HTTP: read them (any Panaptico role), approve or deny one (approver), revert one (operator or
/// admin). Approve and deny sign a seat of the change's approval gate: <c>{ "seatId"?, "rationale", "contextPackSha256" }</c>
/// (plus <c>acknowledgesIrreversible</c> to approve). Every check (seat, segregation of duties, context pack hash,
/// rationale, irreversible acknowledgement, already decided, expiry) is the chain's own decision on the change as
/// recorded, made before anything is written; only then is the decision raised to the change's orchestration, and the
/// answer is the change as that decision leaves it. A refusal is <c>application/problem+json</c> with a <c>code</c>, and
/// changes nothing.
/// </summary>
/// <remarks>
/// Two approvers racing on one change may both pass the check; the orchestration decides them in arrival order and the
/// later one changes nothing (it is logged), so at worst the second caller is told of a decision that then did not apply.
/// </remarks>
public sealed class ChangeFunctions(ChangeTable changes, ChangeDecisions decisions, TimeProvider time)
{
    private const int MaxListed = 1000;

    [Function("ListChanges")]
    public async Task<IResult> ListChangesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "changes")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        var max = 100;
        if (request.Query["max"].FirstOrDefault() is { } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxListed))
        {
            return Problems.Invalid($"max must be a whole number from 1 to {MaxListed}");
        }
        var listed = await changes.ListAsync(max, cancellationToken);
        return Results.Json(new JsonArray([.. listed.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id.ToString(),
            ["stage"] = c.Stage.Name(),
            ["pattern"] = c.PatternId,
            ["asset"] = c.Asset,
            ["severity"] = c.Severity,
            ["production"] = c.Production,
            ["owner"] = c.Owner,
            ["detected"] = c.Detected,
            ["updatedAt"] = c.UpdatedAt,
        })]));
    }

    /// <summary>
    /// Violations left standing on purpose (won't-fix, reverted): each with its owner, reason and expiry. Standing ones
    /// only, unless <c>?all=true</c> also asks for those that lapsed (their asset is detected again).
    /// </summary>
    [Function("ListExceptions")]
    public async Task<IResult> ListExceptionsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "exceptions")] HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        var all = false;
        if (request.Query["all"].FirstOrDefault() is { } text && !bool.TryParse(text, out all))
        {
            return Problems.Invalid("all must be true or false");
        }
        var now = time.GetUtcNow();
        var listed = await changes.ListExceptionsAsync(cancellationToken);
        return Results.Json(new JsonArray([.. listed.Where(e => all || e.Exception.StandsAt(now)).Select(e =>
        {
            var json = e.Exception.ToJson();
            json["changeId"] = e.ChangeId.ToString();
            json["pattern"] = e.Pattern;
            json["asset"] = e.Asset;
            json["severity"] = e.Severity;
            json["team"] = e.Team;
            json["standing"] = e.Exception.StandsAt(now);
            return (JsonNode)json;
        })]));
    }

    /// <summary>The change with its ticket, stage, history, approval gate and close-out, and its orchestration's instance id and status.</summary>
    [Function("GetChange")]
    public async Task<IResult> GetChangeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "changes/{changeId}")] HttpRequest request,
        string changeId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }
        if (!ChangeId.TryParse(changeId, out var id))
        {
            return NotAChangeId(changeId);
        }
        if (await changes.ViewAsync(id.Value, cancellationToken) is not { } view)
        {
            return NotFound(id.Value);
        }
        var json = ChangeJson.Of(view.State, view.History, time.GetUtcNow());
        var instance = await client.GetInstanceAsync(id.Value.ToString(), getInputsAndOutputs: false, cancellationToken);
        json["orchestration"] = new JsonObject
        {
            ["instanceId"] = id.Value.ToString(),
            ["runtimeStatus"] = instance?.RuntimeStatus.ToString(),
            ["createdAt"] = instance?.CreatedAt,
            ["lastUpdatedAt"] = instance?.LastUpdatedAt,
        };
        return Results.Json(json);
    }

    /// <summary>Signs a seat; 202 when the gate clears and the chain runs, 200 while other seats are awaited.</summary>
    [Function("ApproveChange")]
    public async Task<IResult> ApproveChangeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "changes/{changeId}/approve")] HttpRequest request,
        string changeId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await request.AuthorizeAsync(Role.Approver) is { } refused)
        {
            return refused;
        }
        var body = await RequestBody.ReadObjectAsync(request, BodyLimits.Decision, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (body.Json?["acknowledgesIrreversible"] is { } flag && flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Problems.Invalid("acknowledgesIrreversible must be true or false");
        }
        if (SignatureOf(body.Json) is not { } signature)
        {
            return SignatureProblem();
        }
        var acknowledges = body.Json?["acknowledgesIrreversible"]?.GetValue<bool>() ?? false;
        var signal = ApprovalSignal.From(request.HttpContext.Caller(), time.GetUtcNow(), signature.SeatId, signature.Rationale, signature.ContextPackSha256, acknowledges);
        return await DecideAsync(changeId, client, RemediationChain.ApprovalSignedEvent, signal, state => signal.ToEvent(state, approve: true),
            after => after.Stage == ChangeStage.Approval ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, cancellationToken);
    }

    /// <summary>Denies from a seat: the change closes as won't-fix with the rationale on record (200).</summary>
    [Function("DenyChange")]
    public async Task<IResult> DenyChangeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "changes/{changeId}/deny")] HttpRequest request,
        string changeId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await request.AuthorizeAsync(Role.Approver) is { } refused)
        {
            return refused;
        }
        var body = await RequestBody.ReadObjectAsync(request, BodyLimits.Decision, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (SignatureOf(body.Json) is not { } signature)
        {
            return SignatureProblem();
        }
        var signal = ApprovalSignal.From(request.HttpContext.Caller(), time.GetUtcNow(), signature.SeatId, signature.Rationale, signature.ContextPackSha256, false);
        return await DecideAsync(changeId, client, RemediationChain.ApprovalDeniedEvent, signal, state => signal.ToEvent(state, approve: false),
            _ => StatusCodes.Status200OK, cancellationToken);
    }

    /// <summary>Restores the exact prior state of a closed change inside its rollback window (202); 410 after it.</summary>
    [Function("RevertChange")]
    public async Task<IResult> RevertChangeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "changes/{changeId}/revert")] HttpRequest request,
        string changeId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }
        var signal = RevertSignal.From(request.HttpContext.Caller(), time.GetUtcNow());
        return await DecideAsync(changeId, client, RemediationChain.RevertRequestedEvent, signal, _ => new RevertRequested(signal.By(), signal.At),
            _ => StatusCodes.Status202Accepted, cancellationToken);
    }

    /// <summary>
    /// An approver's sign or deny, from another door than the API's (the signed approval link): the same checks, the same
    /// event. <paramref name="claim"/> runs once every check has passed, just before the event is raised; a result from it
    /// refuses instead (the link was used meanwhile) and nothing is raised.
    /// </summary>
    internal Task<IResult> DecideApprovalAsync(
        string changeId, Principal approver, string? seatId, string rationale, string contextPackSha256, bool approve, bool acknowledgesIrreversible,
        DurableTaskClient client, Func<CancellationToken, Task<IResult?>> claim, CancellationToken cancellationToken)
    {
        var signal = ApprovalSignal.From(approver, time.GetUtcNow(), seatId, rationale, contextPackSha256, approve && acknowledgesIrreversible);
        return approve
            ? DecideAsync(changeId, client, RemediationChain.ApprovalSignedEvent, signal, state => signal.ToEvent(state, approve: true),
                after => after.Stage == ChangeStage.Approval ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, cancellationToken, claim)
            : DecideAsync(changeId, client, RemediationChain.ApprovalDeniedEvent, signal, state => signal.ToEvent(state, approve: false),
                _ => StatusCodes.Status200OK, cancellationToken, claim);
    }

    /// <summary>
    /// Asks the chain what the decision does to the change as recorded (<see cref="ChangeDecisions"/>, the path the Teams
    /// bot takes too); raises it to the orchestration only when it moves the change, and answers with the change as it leaves it.
    /// </summary>
    private async Task<IResult> DecideAsync(
        string changeId,
        DurableTaskClient client,
        string eventName,
        object signal,
        Func<ChangeState, ChainEvent> decision,
        Func<ChangeState, int> status,
        CancellationToken cancellationToken,
        Func<CancellationToken, Task<IResult?>>? claim = null)
    {
        if (!ChangeId.TryParse(changeId, out var parsed))
        {
            return NotAChangeId(changeId);
        }
        var id = parsed.Value;
        var now = time.GetUtcNow();
        IResult? claimed = null;
        Func<CancellationToken, Task<bool>>? gate = claim is null ? null : async ct => (claimed = await claim(ct)) is null;
        switch (await decisions.DecideAsync(id, client, eventName, signal, decision, cancellationToken, gate))
        {
            case ChangeDecision.Missing:
                return NotFound(id);
            case ChangeDecision.Refused refused:
                return Problems.Refused(refused.Refusal, ChangeJson.Approval(refused.View.State));
            case ChangeDecision.AlreadyDecided duplicate:
                return Problems.Problem(StatusCodes.Status409Conflict, "conflict", "Already decided", duplicate.Duplicate.Reason, ChangeJson.Approval(duplicate.View.State));
            case ChangeDecision.NotListening { Status: var runtime }:
                // Nothing listens for the decision: a change whose rollback window's timer already fired, or whose orchestration failed.
                return eventName == RemediationChain.RevertRequestedEvent && runtime == OrchestrationRuntimeStatus.Completed
                    ? Problems.Refused(new ChainRefusal(RefusalCode.Expired, $"the rollback window of {id} has closed"))
                    : Problems.Problem(StatusCodes.Status409Conflict, "conflict", "Conflict",
                        $"the orchestration of {id} is {runtime?.ToString().ToLowerInvariant() ?? "missing"}; nothing can be decided on it");
            case ChangeDecision.ClaimLost:
                return claimed!;
            case ChangeDecision.Raised raised:
                return Results.Json(ChangeJson.Of(raised.After.State, [.. raised.View.History, .. raised.After.History], now), statusCode: status(raised.After.State));
            default:
                return Problems.Problem(StatusCodes.Status409Conflict, "conflict", "Conflict", $"{id} cannot take that decision now");
        }
    }

    /// <summary>
    /// The signature fields of an approve or deny body; null when one is not text or the hash is missing. A blank
    /// rationale is left to the gate, which refuses it with its own reason.
    /// </summary>
    private static SeatSignature? SignatureOf(JsonObject? json)
    {
        string? Text(string name) => json?[name] is { } node && node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
        bool IsTextOrAbsent(string name) => json?[name] is null || json[name]!.GetValueKind() == JsonValueKind.String;
        if (!IsTextOrAbsent("seatId") || !IsTextOrAbsent("rationale") || Text("contextPackSha256") is not { Length: > 0 } hash)
        {
            return null;
        }
        return new SeatSignature(Text("seatId"), Text("rationale") ?? "", hash.Trim());
    }

    private static IResult SignatureProblem() => Problems.Invalid(
        "the body must be { \"seatId\"?: text, \"rationale\": text, \"contextPackSha256\": the hash of the context pack you reviewed (GET the change) }");

    private static IResult NotAChangeId(string text) => Problems.Invalid($"'{text}' is not a change id (CHG-YYYY-MMDD-NNN)");

    private static IResult NotFound(ChangeId id) => Problems.NotFound($"there is no change {id}");

    private sealed record SeatSignature(string? SeatId, string Rationale, string ContextPackSha256);
}

/// <summary>A change as the API answers it: the state in the remediation JSON shape, its rendered artifacts, and its history.</summary>
public static class ChangeJson
{
    public static JsonObject Of(ChangeState state, IReadOnlyList<ChainHistoryEntry> history, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(history);
        return new JsonObject
        {
            ["id"] = state.Id.ToString(),
            ["stage"] = state.Stage.Name(),
            ["version"] = state.Version,
            ["production"] = state.Production,
            ["requestedBy"] = state.RequestedBy,
            ["outcome"] = state.Outcome,
            ["ticket"] = state.Ticket.ToJson(),
            ["ticketText"] = state.Exception is { } exception ? $"{state.Ticket.Render()}\n{exception.Render()}" : state.Ticket.Render(),
            ["exception"] = state.Exception?.ToJson(),
            ["follows"] = state.Follows?.ToString(),
            ["followedBy"] = state.FollowedBy?.ToString(),
            ["approvalExpiresAt"] = state.ApprovalExpiresAt,
            ["approval"] = Approval(state),
            ["approvalGate"] = state.ApprovalGate is { } gate ? GateJson(gate, now) : null,
            ["rollbackAvailableUntil"] = state.Bundle?.AvailableUntil,
            ["settledAt"] = state.SettledAt,
            ["closeOut"] = state.CloseOut?.ToJson(),
            ["closeOutText"] = state.CloseOut?.Render(),
            ["state"] = JsonSerializer.SerializeToNode(state, RemediationJson.Options),
            ["history"] = new JsonArray([.. history.Select(h => (JsonNode)new JsonObject
            {
                ["sequence"] = h.Sequence,
                ["at"] = h.At,
                ["event"] = h.Event,
                ["from"] = h.From.Name(),
                ["to"] = h.To.Name(),
                ["actor"] = h.Actor,
                ["detail"] = h.Detail,
            })]),
        };
    }

    /// <summary>Who decided the change's approval, how and when; null while undecided. A refused second decision carries it too.</summary>
    public static JsonObject? Approval(ChangeState state) => state?.Approval is { } decided
        ? new JsonObject
        {
            ["decision"] = decided.Outcome == ApprovalOutcome.Granted ? "approved" : "denied",
            ["mode"] = decided.Mode.ToString().ToLowerInvariant(),
            ["decidedBy"] = decided.ApproverId,
            ["decidedByName"] = decided.ApproverName,
            ["decidedAt"] = decided.At,
        }
        : null;

    /// <summary>The approval gate as an approver reads it: each seat, whom it is routed to and why, who signed, and the pack hash to sign.</summary>
    public static JsonObject GateJson(ApprovalGateRecord gate, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var status = ApprovalGate.Evaluate(gate, now);
        return new JsonObject
        {
            ["state"] = gate.State.ToString().ToLowerInvariant(),
            ["progress"] = status.Progress,
            ["rulesVersion"] = gate.RulesVersion,
            ["requester"] = gate.RequesterId,
            ["contextPackSha256"] = gate.ContextPackHash,
            ["contextPack"] = gate.ContextPack.ToJson(),
            ["seats"] = new JsonArray([.. status.Seats.Select(s => (JsonNode)new JsonObject
            {
                ["seatId"] = s.Seat.Id,
                ["approver"] = s.Seat.Approver.Name,
                ["members"] = new JsonArray([.. s.Seat.Approver.Members.Select(m => (JsonNode)JsonValue.Create(m))]),
                ["routedBecause"] = s.Seat.RoutedBecause,
                ["rule"] = s.Seat.RuleId,
                ["rulesVersion"] = s.Seat.RulesVersion,
                ["state"] = s.Seat.State.ToString().ToLowerInvariant(),
                ["status"] = s.Status,
                ["expiresAt"] = s.Seat.ExpiresAt,
                ["signedBy"] = s.Signature?.ApproverId,
                ["signedByName"] = s.Signature?.ApproverName,
                ["signedAt"] = s.Signature?.SignedAt,
                ["rationale"] = s.Signature?.Rationale,
                ["contextPackSha256"] = s.Signature?.ContextPackHash,
            })]),
        };
    }
}
