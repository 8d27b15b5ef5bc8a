using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Functions.Http;

/// <summary>
/// The one way every function refuses: <c>application/problem+json</c> with a stable <c>code</c> (also the last segment
/// of <c>type</c>), a title, the detail in words, and any data as extension members. The codes are the README's
/// refusal vocabulary; callers branch on <c>code</c>, people read <c>detail</c>.
/// </summary>
public static class Problems
{
    public static IResult Problem(int status, string code, string title, string detail, JsonObject? data = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        foreach (var (name, value) in data ?? [])
        {
            extensions[name] = value?.DeepClone();
        }
        return Results.Problem(statusCode: status, title: title, detail: detail, type: Type(code), extensions: extensions);
    }

    public static IResult Unauthenticated() =>
        Problem(StatusCodes.Status401Unauthorized, "unauthenticated", "Not authenticated", "send a valid bearer token");

    public static IResult Forbidden(string policy) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", $"this needs the {policy} role");

    public static IResult Invalid(string detail, JsonObject? data = null) =>
        Problem(StatusCodes.Status400BadRequest, "invalid", "Invalid request", detail, data);

    public static IResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    /// <summary>A remediation chain refusal (a change's approval, denial or revert); <paramref name="data"/> adds to the chain's own.</summary>
    public static IResult Refused(ChainRefusal refusal, JsonObject? data = null)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var (status, code, title) = refusal.Code switch
        {
            Core.Remediation.Chain.RefusalCode.Invalid => (StatusCodes.Status400BadRequest, "invalid", "Invalid request"),
            Core.Remediation.Chain.RefusalCode.Forbidden => (StatusCodes.Status403Forbidden, "forbidden", "Not allowed"),
            Core.Remediation.Chain.RefusalCode.SegregationOfDuties => (StatusCodes.Status403Forbidden, "segregation-of-duties", "Segregation of duties"),
            Core.Remediation.Chain.RefusalCode.NotFound => (StatusCodes.Status404NotFound, "not-found", "Not found"),
            Core.Remediation.Chain.RefusalCode.StaleContext => (StatusCodes.Status409Conflict, "stale-context", "Stale context pack"),
            Core.Remediation.Chain.RefusalCode.Expired => (StatusCodes.Status410Gone, "expired", "Expired"),
            Core.Remediation.Chain.RefusalCode.IrreversibleNotAcknowledged =>
                (StatusCodes.Status422UnprocessableEntity, "irreversible-not-acknowledged", "Irreversible fix not acknowledged"),
            _ => (StatusCodes.Status409Conflict, "conflict", "Conflict"),
        };
        var members = refusal.Data?.DeepClone() as JsonObject ?? [];
        foreach (var (name, value) in data ?? [])
        {
            members[name] = value?.DeepClone();
        }
        return Problem(status, code, title, refusal.Reason, members.Count > 0 ? members : null);
    }

    public static string Type(string code) => $"https://panaptico.dev/problems/{code}";
}
