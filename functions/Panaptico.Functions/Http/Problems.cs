using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Governance;
using ChainRefusal = Panaptico.Core.Remediation.Chain.ChainRefusal;

namespace Panaptico.Functions.Http;

/// <summary>
/// The one way every function refuses: <c>application/problem+json</c> with a stable <c>code</c> (also the last segment
/// of <c>type</c>), a title, the detail in words, and any data as extension members. The codes are the README's
/// refusal vocabulary; callers branch on <c>code</c>, people read <c>detail</c>.
/// </summary>
/// <remarks>
/// One vocabulary for every domain: <c>invalid</c> 400, <c>unauthenticated</c> 401, <c>forbidden</c> and
/// <c>segregation-of-duties</c> 403, <c>not-found</c> 404, <c>conflict</c> (and its kinds <c>gate-open</c>,
/// <c>cycle</c>, <c>stale-context</c>) 409, <c>expired</c> 410 (an approval seat or window past its time, for tasks
/// and changes alike), <c>too-large</c> 413, <c>unsupported-media-type</c> 415, <c>inconsistent</c> and
/// <c>unavailable</c> 500.
/// </remarks>
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
        Problem(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", policy == Auth.Access.AnyRole
            ? "this needs a Panaptico role (operator, approver, auditor or admin)"
            : $"this needs the {policy} role");

    public static IResult Invalid(string detail, JsonObject? data = null) =>
        Problem(StatusCodes.Status400BadRequest, "invalid", "Invalid request", detail, data);

    public static IResult NotFound(string detail) =>
        Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static IResult Conflict(string detail, JsonObject? data = null) =>
        Problem(StatusCodes.Status409Conflict, "conflict", "Conflict", detail, data);

    public static IResult TooLarge(string title, string detail, JsonObject? data = null) =>
        Problem(StatusCodes.Status413PayloadTooLarge, "too-large", title, detail, data);

    public static IResult UnsupportedMediaType(string detail) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported media type", detail);

    /// <summary>Our stores disagree with each other: the caller is told, never handed something half right.</summary>
    public static IResult Inconsistent(string title, string detail) =>
        Problem(StatusCodes.Status500InternalServerError, "inconsistent", title, detail);

    /// <summary>Something the app needs (a configuration file, a dependency) cannot be used right now.</summary>
    public static IResult Unavailable(string title, string detail) =>
        Problem(StatusCodes.Status500InternalServerError, "unavailable", title, detail);

    public static string Type(string code) => $"https://panaptico.dev/problems/{code}";

    // ---- Governance: a refusal of a governed task, plan or approval, with its words and data ----------------------

    /// <summary>
    /// A governance refusal: its status and code, the message as detail and its data as extension members (the
    /// completion lock's unlock conditions, the cycle, the current context-pack hash).
    /// </summary>
    public static IResult Problem(Refusal refusal)
    {
        var (status, code, title) = Of(refusal.Code);
        return Problem(status, code, title, refusal.Message, refusal.Data);
    }

    public static (int Status, string Code, string Title) Of(RefusalCode code) => code switch
    {
        RefusalCode.Invalid => (StatusCodes.Status400BadRequest, "invalid", "Invalid request"),
        RefusalCode.Forbidden => (StatusCodes.Status403Forbidden, "forbidden", "Not allowed"),
        RefusalCode.SegregationOfDuties => (StatusCodes.Status403Forbidden, "segregation-of-duties", "Segregation of duties"),
        RefusalCode.NotFound => (StatusCodes.Status404NotFound, "not-found", "Not found"),
        RefusalCode.GateOpen => (StatusCodes.Status409Conflict, "gate-open", "Completion locked"),
        RefusalCode.Cycle => (StatusCodes.Status409Conflict, "cycle", "Dependency cycle"),
        RefusalCode.StaleContext => (StatusCodes.Status409Conflict, "stale-context", "Context pack changed"),
        // Gone, as a change's expired approval: the seat's time is over (a revised context pack reopens it).
        RefusalCode.Expired => (StatusCodes.Status410Gone, "expired", "Approval seat expired"),
        _ => (StatusCodes.Status409Conflict, "conflict", "Conflict"),
    };

    // ---- Remediation: the change chain's refusal, onto the same codes ------------------------------------------------

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

    // ---- Drift: the domain's refusal of a graph, a snapshot, a source record ----------------------------------------

    /// <summary>A drift input refused by the domain: its problems (each naming its line or path) in words and as data.</summary>
    public static IResult Refused(Core.Drift.DriftInputException refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        var data = new JsonObject
        {
            ["driftCode"] = refusal.Code,
            ["problems"] = new JsonArray([.. refusal.Problems.Select(p => (JsonNode?)p)]),
        };
        var detail = string.Join("; ", refusal.Problems);
        return refusal.Code switch
        {
            Core.Drift.DriftCodes.VersionConflict => Conflict(detail, data),
            Core.Drift.DriftCodes.UnknownObject => Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail, data),
            _ => Invalid(detail, data),
        };
    }

    // ---- Request reading helpers shared by the functions ------------------------------------------------------------

    /// <summary>A sha256 from a route: lowercase hex, accepting uppercase since hashes get copied from everywhere.</summary>
    public static bool TryReadSha256(string value, out string sha256)
    {
        sha256 = value.ToLowerInvariant();
        return ContentHash.IsSha256Hex(sha256);
    }

    /// <summary>A non-negative decimal integer from a route or query.</summary>
    public static bool TryReadCount(string? value, out long count) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count);
}
