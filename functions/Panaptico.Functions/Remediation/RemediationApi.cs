using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// Change records over HTTP: read them (any Panaptico role), approve or deny one (approver), revert one (operator or
/// admin). Approve and deny sign a seat of the change's approval gate: <c>{ "seatId"?, "rationale", "contextPackSha256" }</c>
/// (plus <c>acknowledgesIrreversible</c> to approve); the chain moves once every seat is signed. A refusal is
/// <c>application/problem+json</c> with the chain's or the gate's reason, and changes nothing.
/// </summary>
public static class RemediationApi
{
    private const int MaxListed = 1000;

    private static readonly AuthorizationPolicy AnyRole = new AuthorizationPolicyBuilder()
        .RequireAuthenticatedUser()
        .RequireAssertion(context => Role.All.Any(context.User.IsInRole))
        .Build();

    public static IEndpointRouteBuilder MapRemediationApi(this IEndpointRouteBuilder app)
    {
        app.MapHttpFunction("ListChanges", ListAsync).RequireAuthorization(AnyRole);
        app.MapHttpFunction("GetChange", GetAsync).RequireAuthorization(AnyRole);
        app.MapHttpFunction("ApproveChange", ApproveAsync).RequireAuthorization(Role.Approver);
        app.MapHttpFunction("DenyChange", DenyAsync).RequireAuthorization(Role.Approver);
        app.MapHttpFunction("RevertChange", RevertAsync).RequireAuthorization(Role.Operator);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, DurableChangeChain chain, CancellationToken cancellationToken)
    {
        var max = 100;
        if (request.Query["max"].FirstOrDefault() is { } text
            && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxListed))
        {
            return Problem(400, "Invalid request", $"max must be a whole number from 1 to {MaxListed}");
        }
        var changes = await chain.ListAsync(max, cancellationToken);
        return Results.Json(new JsonArray([.. changes.Select(c => (JsonNode)new JsonObject
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

    private static async Task<IResult> GetAsync(string changeId, DurableChangeChain chain, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ChangeId.TryParse(changeId, out var id))
        {
            return NotAChangeId(changeId);
        }
        return await chain.GetAsync(id.Value, cancellationToken) is { } view ? Results.Json(ChangeJson.Of(view, time.GetUtcNow())) : NotFound(id.Value);
    }

    private static async Task<IResult> ApproveAsync(
        string changeId, HttpContext context, DurableChangeChain chain, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await BodyAsync(context.Request, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (body.Json?["acknowledgesIrreversible"] is { } flag && flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return Problem(400, "Invalid request", "acknowledgesIrreversible must be true or false");
        }
        if (SignatureOf(body.Json) is not { } signature)
        {
            return SignatureProblem();
        }
        var acknowledges = body.Json?["acknowledgesIrreversible"]?.GetValue<bool>() ?? false;
        return await DecideAsync(changeId, chain,
            () => new SeatApproved(context.Caller(), time.GetUtcNow(), signature.SeatId, signature.Rationale, signature.ContextPackSha256, acknowledges),
            time, cancellationToken);
    }

    private static async Task<IResult> DenyAsync(
        string changeId, HttpContext context, DurableChangeChain chain, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await BodyAsync(context.Request, cancellationToken);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        if (SignatureOf(body.Json) is not { } signature)
        {
            return SignatureProblem();
        }
        return await DecideAsync(changeId, chain,
            () => new SeatDenied(context.Caller(), time.GetUtcNow(), signature.SeatId, signature.Rationale, signature.ContextPackSha256),
            time, cancellationToken);
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

    private static IResult SignatureProblem() => Problem(400, "Invalid request",
        "the body must be { \"seatId\"?: text, \"rationale\": text, \"contextPackSha256\": the hash of the context pack you reviewed (GET the change) }");

    private sealed record SeatSignature(string? SeatId, string Rationale, string ContextPackSha256);

    private static Task<IResult> RevertAsync(
        string changeId, HttpContext context, DurableChangeChain chain, TimeProvider time, CancellationToken cancellationToken) =>
        DecideAsync(changeId, chain, () => new RevertRequested(context.Caller(), time.GetUtcNow()), time, cancellationToken);

    private static async Task<IResult> DecideAsync(
        string changeId, DurableChangeChain chain, Func<ChainEvent> decision, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ChangeId.TryParse(changeId, out var parsed))
        {
            return NotAChangeId(changeId);
        }
        var id = parsed.Value;
        var result = await chain.ApplyAsync(id, decision(), cancellationToken);
        if (result.State is null)
        {
            return NotFound(id);
        }
        if (result.Outcome is ChainRefusal refusal)
        {
            return Refused(refusal);
        }
        var view = await chain.GetAsync(id, cancellationToken);
        // 202 when the chain set work running (the gate cleared, a revert began); 200 when it was recorded only (a seat
        // signed while others are awaited, a denial) or repeated (a second tap changes nothing).
        var running = result.Outcome is ChainTransition { Messages.Count: > 0 } transition && transition.State.Stage is not ChangeStage.Approval;
        return Results.Json(ChangeJson.Of(view!, time.GetUtcNow()), statusCode: running ? 202 : 200);
    }

    private static IResult Refused(ChainRefusal refusal) => refusal.Code switch
    {
        RefusalCode.Invalid => Problem(400, "Invalid request", refusal.Reason),
        RefusalCode.Forbidden => Problem(403, "Forbidden", refusal.Reason),
        RefusalCode.SeparationOfDuties => Problem(403, "Separation of duties", refusal.Reason),
        RefusalCode.Conflict => Problem(409, "Conflict", refusal.Reason),
        RefusalCode.Gone => Problem(410, "Gone", refusal.Reason),
        RefusalCode.IrreversibleNotAcknowledged => Problem(422, "Irreversible fix not acknowledged", refusal.Reason),
        RefusalCode.NotFound => Problem(404, "Not found", refusal.Reason),
        _ => Problem(400, "Refused", refusal.Reason),
    };

    private static IResult NotAChangeId(string text) =>
        Problem(400, "Invalid request", $"'{text}' is not a change id (CHG-YYYY-MMDD-NNN)");

    private static IResult NotFound(ChangeId id) => Problem(404, "Not found", $"there is no change {id}");

    private static IResult Problem(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>An optional JSON object body; anything else is a 400 problem.</summary>
    private static async Task<(JsonObject? Json, IResult? Problem)> BodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is null or 0 && request.Headers.TransferEncoding.Count == 0)
        {
            return (null, null);
        }
        try
        {
            var node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return node is null or JsonObject
                ? (node as JsonObject, null)
                : (null, Problem(400, "Invalid request", "the body must be a JSON object"));
        }
        catch (JsonException e)
        {
            return (null, Problem(400, "Invalid request", $"the body is not JSON: {e.Message}"));
        }
    }
}

/// <summary>A change as the API answers it: the state in the remediation JSON shape, its rendered artifacts, and its history.</summary>
public static class ChangeJson
{
    public static JsonObject Of(ChangeView view, DateTimeOffset now)
    {
        var state = view.State;
        return new JsonObject
        {
            ["id"] = state.Id.ToString(),
            ["stage"] = state.Stage.Name(),
            ["version"] = state.Version,
            ["production"] = state.Production,
            ["requestedBy"] = state.RequestedBy,
            ["outcome"] = state.Outcome,
            ["ticket"] = state.Ticket.ToJson(),
            ["ticketText"] = state.Ticket.Render(),
            ["approvalExpiresAt"] = state.ApprovalExpiresAt,
            ["approvalGate"] = state.ApprovalGate is { } gate ? GateJson(gate, now) : null,
            ["rollbackAvailableUntil"] = state.Bundle?.AvailableUntil,
            ["closeOut"] = state.CloseOut?.ToJson(),
            ["closeOutText"] = state.CloseOut?.Render(),
            ["state"] = JsonSerializer.SerializeToNode(state, RemediationJson.Options),
            ["history"] = new JsonArray([.. view.History.Select(h => (JsonNode)new JsonObject
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

    /// <summary>The approval gate as an approver reads it: each seat, whom it is routed to and why, who signed, and the pack hash to sign.</summary>
    public static JsonObject GateJson(ApprovalGateRecord gate, DateTimeOffset now)
    {
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
