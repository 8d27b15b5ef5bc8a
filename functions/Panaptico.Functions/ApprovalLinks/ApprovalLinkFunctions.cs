using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Core.Teams;
using Panaptico.Functions.Http;
using Panaptico.Functions.Remediation;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>
/// The signed approval link. <c>GET /api/approve/{token}</c> shows the change and the Approve and Deny forms;
/// <c>POST</c> of a form decides through the same path as <c>POST /api/changes/{id}/approve|deny</c> (the chain's own
/// checks: seat, segregation of duties, context pack hash, rationale, already decided, expired, then the same Durable
/// external event), after taking the link's one use. Browsers get HTML pages; other clients get the API's answers
/// (problem+json with a <c>code</c> for every refusal). A refused link changes nothing.
/// </summary>
/// <remarks>
/// Anonymous at the platform: the token is the credential. It is signed by the app's key, names one routed approver of
/// one change and seat, expires (<c>ApprovalLinks:Expiry</c>, never after the seat), and is used once (a create-once row
/// keyed by its id, so across instances). It acts as that approver with the approver role, nothing else. Pages are
/// <c>no-store</c>, <c>no-referrer</c> (the token is in the URL) and may not be framed.
/// </remarks>
public sealed class ApprovalLinkFunctions(ApprovalLinkIssuer links, ApprovalLinkUses uses, ChangeTable changes, IServiceProvider services, TimeProvider time)
{
    private const string LinkRationale = "approved with the signed approval link";
    private const string UsedTitle = "Approval link already used";

    [Function("ApprovalLinkPage")]
    public async Task<IResult> PageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "approve/{token}")] HttpRequest request,
        string token,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Protect(request.HttpContext.Response);
        var check = await links.ReadAsync(token, cancellationToken);
        if (Refusal(check) is { } refused)
        {
            return Answer(request, refused);
        }
        var claims = ((LinkCheck.Valid)check).Claims;
        if (!ChangeId.TryParse(claims.ChangeId, out var id) || await changes.ViewAsync(id.Value, cancellationToken) is not { } view)
        {
            return Answer(request, Problems.NotFound($"there is no change {claims.ChangeId}"));
        }
        var state = view.State;
        if (state.Approval is { } decided)
        {
            return Answer(request, Problems.Conflict(
                $"{state.Id} was already {(decided.Outcome == ApprovalOutcome.Granted ? "approved" : "denied")} by {decided.ApproverName} at {decided.At.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"));
        }
        if (state.Stage != ChangeStage.Approval)
        {
            return Answer(request, Problems.Conflict($"{state.Id} is not waiting for an approval (it is at {state.Stage.Name()})"));
        }
        if (state.ApprovalExpiresAt <= time.GetUtcNow())
        {
            return Answer(request, Problems.Refused(new ChainRefusal(Core.Remediation.Chain.RefusalCode.Expired,
                $"the approval request of {state.Id} expired at {state.ApprovalExpiresAt:yyyy-MM-dd HH:mm} UTC")));
        }
        return Page(StatusCodes.Status200OK, ConfirmPage.Form(state, claims));
    }

    [Function("ApprovalLinkDecide")]
    public async Task<IResult> DecideAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "approve/{token}")] HttpRequest request,
        string token,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Protect(request.HttpContext.Response);
        if (!request.HasFormContentType)
        {
            return Answer(request, Problems.UnsupportedMediaType("post the page's form (application/x-www-form-urlencoded)"));
        }
        var form = await request.ReadFormAsync(cancellationToken);
        var decision = form["decision"].ToString();
        if (decision is not ("approve" or "deny"))
        {
            return Answer(request, Problems.Invalid("decision must be approve or deny"));
        }
        var approve = decision == "approve";
        var text = form[approve ? CardData.Rationale : CardData.Reason].ToString().Trim();
        if (text.Length > CardData.MaxTextLength)
        {
            return Answer(request, Problems.Invalid($"the {(approve ? "rationale" : "reason")} is longer than {CardData.MaxTextLength} characters"));
        }
        var check = await links.ReadAsync(token, cancellationToken);
        if (Refusal(check) is { } refused)
        {
            return Answer(request, refused);
        }
        var claims = ((LinkCheck.Valid)check).Claims;
        var approver = new Principal(claims.ApproverId, claims.ApproverName, new HashSet<string>([Role.Approver]));
        var decisions = ActivatorUtilities.CreateInstance<ChangeFunctions>(services);
        var result = await decisions.DecideApprovalAsync(
            claims.ChangeId, approver, claims.SeatId, approve && text.Length == 0 ? LinkRationale : text, form["contextPackSha256"].ToString(), approve,
            form["acknowledgesIrreversible"].ToString() == "true", client,
            async ct => await uses.TryClaimAsync(claims.LinkId, claims.ChangeId, claims.ApproverId, decision, time.GetUtcNow(), ct)
                ? null
                : Problems.Problem(StatusCodes.Status409Conflict, "conflict", UsedTitle, "this approval link was used a moment ago; a link decides once"),
            cancellationToken);
        return Answer(request, result, json => ConfirmPage.Recorded(claims.ChangeId, approve, json));
    }

    private static IResult? Refusal(LinkCheck check) => check switch
    {
        LinkCheck.Valid => null,
        LinkCheck.NotValid invalid => Problems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Not a valid approval link", invalid.Why),
        LinkCheck.Expired expired => Problems.Problem(StatusCodes.Status410Gone, "expired", "Approval link expired",
            $"this link to {expired.Claims.ChangeId} expired at {expired.Claims.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; ask for the change to be routed again or decide in the app",
            new JsonObject { ["expiredAt"] = expired.Claims.ExpiresAt }),
        LinkCheck.Used used => Problems.Problem(StatusCodes.Status409Conflict, "conflict", UsedTitle,
            $"this link to {used.Claims.ChangeId} was already used at {used.Use.UsedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC ({used.Use.Decision}); a link decides once",
            new JsonObject { ["usedAt"] = used.Use.UsedAt, ["decision"] = used.Use.Decision }),
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, null),
    };

    /// <summary>The API's answer as it is for API clients; as a page for a browser.</summary>
    private static IResult Answer(HttpRequest request, IResult result, Func<JsonObject, string>? success = null)
    {
        if (!request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            return result;
        }
        return result switch
        {
            ProblemHttpResult problem => Page(problem.StatusCode, ConfirmPage.Refused(
                problem.ProblemDetails.Title ?? "Refused", problem.ProblemDetails.Detail ?? "", problem.ProblemDetails.Extensions.TryGetValue("code", out var code) ? $"{code}" : "")),
            IValueHttpResult { Value: JsonObject json } and IStatusCodeHttpResult status when success is not null => Page(status.StatusCode ?? StatusCodes.Status200OK, success(json)),
            _ => result,
        };
    }

    private static IResult Page(int status, string html) => Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);

    private static void Protect(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
    }
}
