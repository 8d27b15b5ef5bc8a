using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Evidence;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Evidence;

namespace Panaptico.Functions.Audit;

/// <summary>
/// <c>GET /api/bundles/{digest}</c>: a sealed bundle with everything offline verification needs but the artifacts'
/// bytes (fetched by their <c>href</c>): the DSSE envelope, the keyring entry of the key version that signed it, the
/// manifest and its artifact list. <c>GET /api/bundles?subject=TASK-0412[&amp;kind=task|change]</c> lists a
/// subject's bundles, oldest seal first.
/// </summary>
/// <remarks>
/// The <c>manifest</c> and <c>artifacts</c> members are for reading; verifiers take the manifest from the signed
/// envelope (as <c>panaptico bundle fetch</c> does), never from the JSON around it.
/// </remarks>
public sealed class BundleFunctions(BundleStore bundles, KeyringStore keyring)
{
    private const int MaxSubjectLength = 200;

    [Function("GetBundle")]
    public async Task<IResult> GetBundleAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "bundles/{digest}")] HttpRequest request,
        string digest,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        if (!Problems.TryReadSha256(digest, out var bundleDigest))
        {
            return Problems.Invalid($"'{digest}' is not a bundle digest: a bundle is named by the sha256 of its manifest, 64 hex digits");
        }

        if (await bundles.GetAsync(bundleDigest, cancellationToken) is not { } envelope)
        {
            return Problems.NotFound($"no sealed bundle with digest {bundleDigest}");
        }

        BundleManifest manifest;
        byte[] canonicalManifest;
        try
        {
            (manifest, canonicalManifest) = InTotoStatement.ReadManifest(envelope);
        }
        catch (FormatException e)
        {
            return Problems.Inconsistent("Audit data inconsistent", $"bundle {bundleDigest} is stored but carries no readable manifest: {e.Message}");
        }

        var signer = manifest.Signer;
        if (await keyring.FindAsync(signer.KeyId, signer.KeyVersion, cancellationToken) is not { } key)
        {
            return Problems.Inconsistent("Audit data inconsistent", $"bundle {bundleDigest} was signed by {signer}, which the keyring does not hold");
        }

        return Results.Json(new JsonObject
        {
            ["digest"] = bundleDigest,
            ["subject"] = Subject(manifest.Subject),
            ["sealedAt"] = LedgerRecordFormat.FormatTime(manifest.SealedAt),
            ["signer"] = new JsonObject { ["keyId"] = signer.KeyId, ["keyVersion"] = signer.KeyVersion, ["fingerprint"] = key.Fingerprint() },
            ["envelope"] = JsonNode.Parse(envelope.ToJson()),
            ["keyring"] = JsonNode.Parse(new Keyring([key]).ToJson()),
            ["manifest"] = JsonNode.Parse(canonicalManifest),
            ["artifacts"] = new JsonArray([.. manifest.Artifacts.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Name,
                ["requirement"] = a.Requirement,
                ["sha256"] = a.Sha256,
                ["size"] = a.Size,
                ["mediaType"] = a.MediaType,
                ["href"] = ArtifactFunctions.Href(a.Sha256),
            })]),
        });
    }

    [Function("ListBundles")]
    public async Task<IResult> ListBundlesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "bundles")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        var subject = Query(request, "subject");
        var kind = Query(request, "kind");
        if (string.IsNullOrWhiteSpace(subject))
        {
            return Problems.Invalid("name the subject whose bundles to list: ?subject=TASK-0412 (and optionally &kind=task or &kind=change)");
        }

        if (subject.Length > MaxSubjectLength || subject.Any(char.IsControl))
        {
            return Problems.Invalid($"subject must be at most {MaxSubjectLength} printable characters");
        }

        string[] kinds = kind switch
        {
            null or "" => [BundleSubject.Task, BundleSubject.Change],
            BundleSubject.Task or BundleSubject.Change => [kind],
            _ => [],
        };
        if (kinds.Length == 0)
        {
            return Problems.Invalid($"kind must be '{BundleSubject.Task}' or '{BundleSubject.Change}', not '{kind}'");
        }

        var found = await Task.WhenAll(kinds.Select(k => bundles.ListAsync(new BundleSubject(k, subject), cancellationToken)));
        return Results.Json(new JsonObject
        {
            ["subject"] = subject,
            ["bundles"] = new JsonArray([.. found.SelectMany(b => b).OrderBy(b => b.SealedAt).ThenBy(b => b.Digest, StringComparer.Ordinal)
                .Select(b => (JsonNode)new JsonObject
                {
                    ["digest"] = b.Digest,
                    ["subject"] = Subject(b.Subject),
                    ["sealedAt"] = LedgerRecordFormat.FormatTime(b.SealedAt),
                    ["href"] = $"/api/bundles/{b.Digest}",
                })]),
        });
    }

    /// <summary>A query parameter as minimal APIs bound it: absent is null.</summary>
    internal static string? Query(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) ? values.ToString() : null;

    private static JsonObject Subject(BundleSubject subject) => new() { ["kind"] = subject.Kind, ["id"] = subject.Id };
}
