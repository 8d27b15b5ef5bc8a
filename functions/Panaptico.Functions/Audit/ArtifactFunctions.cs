using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Evidence;

namespace Panaptico.Functions.Audit;

/// <summary>
/// <c>GET /api/evidence/{sha256}</c> streams an artifact from the vault, byte for byte, with its hash as ETag and
/// digest headers; <c>GET /api/evidence/{sha256}/meta</c> is its first capture (who, when, for which requirement).
/// </summary>
public sealed class ArtifactFunctions(EvidenceVault vault)
{
    private const string FallbackMediaType = "application/octet-stream";

    [Function("DownloadArtifact")]
    public async Task<IResult> DownloadArtifactAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "evidence/{sha256}")] HttpRequest request,
        string sha256,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        if (!Problems.TryReadSha256(sha256, out var hash))
        {
            return MalformedHash(sha256);
        }

        var (stored, problem) = await CaptureAsync(hash, cancellationToken);
        if (stored is null || await vault.OpenAsync(hash, cancellationToken) is not { } content)
        {
            return problem ?? NoArtifact(hash);
        }

        var headers = request.HttpContext.Response.Headers;
        var digest = Convert.ToBase64String(Convert.FromHexString(hash));
        headers["Digest"] = $"sha-256={digest}"; // RFC 3230, which most tools still read
        headers["Repr-Digest"] = $"sha-256=:{digest}:"; // RFC 9530, its successor
        // Evidence may be HTML or script a browser would run; it is only ever a download.
        headers.XContentTypeOptions = "nosniff";
        // Content-addressed: the bytes behind this URL never change.
        headers.CacheControl = "private, max-age=31536000, immutable";
        return Results.Stream(
            content,
            MediaType(stored.Capture.MediaType),
            fileDownloadName: stored.Capture.Name,
            lastModified: stored.CapturedAt,
            entityTag: new EntityTagHeaderValue($"\"{hash}\""),
            enableRangeProcessing: true);
    }

    [Function("GetArtifactMetadata")]
    public async Task<IResult> GetArtifactMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "evidence/{sha256}/meta")] HttpRequest request,
        string sha256,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        if (!Problems.TryReadSha256(sha256, out var hash))
        {
            return MalformedHash(sha256);
        }

        var (stored, problem) = await CaptureAsync(hash, cancellationToken);
        return stored is not null
            ? Results.Json(new JsonObject
            {
                ["sha256"] = stored.Sha256,
                ["size"] = stored.Size,
                ["requirement"] = stored.Capture.Requirement,
                ["name"] = stored.Capture.Name,
                ["mediaType"] = stored.Capture.MediaType,
                ["capturedBy"] = stored.Capture.CapturedBy,
                ["capturedAt"] = LedgerRecordFormat.FormatTime(stored.CapturedAt),
                ["href"] = Href(stored.Sha256),
            })
            : problem ?? NoArtifact(hash);
    }

    public static string Href(string sha256) => $"/api/evidence/{sha256}";

    /// <summary>The artifact's capture; a blob whose capture metadata cannot be read is reported, not served bare.</summary>
    private async Task<(StoredArtifact? Stored, IResult? Problem)> CaptureAsync(string sha256, CancellationToken cancellationToken)
    {
        try
        {
            return (await vault.GetAsync(sha256, cancellationToken), null);
        }
        catch (FormatException e)
        {
            return (null, Problems.Inconsistent("Audit data inconsistent", $"artifact {sha256} is in the vault but its capture metadata is unreadable: {e.Message}"));
        }
    }

    private static IResult MalformedHash(string value) =>
        Problems.Invalid($"'{Truncate(value)}' is not a sha256: an artifact is named by 64 hex digits");

    private static IResult NoArtifact(string sha256) => Problems.NotFound($"the evidence vault holds no artifact {sha256}");

    /// <summary>The capture's media type if it is one; anything else is served as plain bytes.</summary>
    private static string MediaType(string captured) =>
        MediaTypeHeaderValue.TryParse(captured, out var parsed) && parsed.MediaType.HasValue ? parsed.ToString() : FallbackMediaType;

    private static string Truncate(string value) => value.Length <= 80 ? value : value[..80] + "…";
}
