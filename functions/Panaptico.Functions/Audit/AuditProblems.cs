using Panaptico.Core.Canonical;

namespace Panaptico.Functions.Audit;

/// <summary>The auditor API's refusals, as application/problem+json.</summary>
public static class AuditProblems
{
    public static IResult Invalid(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid request", detail: detail, type: Type("invalid"));

    public static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail, type: Type("not-found"));

    /// <summary>Our stores disagree with each other: the auditor is told, never handed something half right.</summary>
    public static IResult Inconsistent(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Audit data inconsistent", detail: detail, type: Type("inconsistent"));

    /// <summary>A sha256 from a route: lowercase hex, accepting uppercase since hashes get copied from everywhere.</summary>
    public static bool TryReadSha256(string value, out string sha256)
    {
        sha256 = value.ToLowerInvariant();
        return ContentHash.IsSha256Hex(sha256);
    }

    /// <summary>A non-negative decimal integer from a route or query.</summary>
    public static bool TryReadCount(string? value, out long count) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count);

    private static string Type(string code) => $"https://panaptico.dev/problems/{code}";
}
