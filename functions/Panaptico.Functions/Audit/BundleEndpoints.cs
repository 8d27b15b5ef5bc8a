using System.Text.Json.Nodes;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
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
public static class BundleEndpoints
{
    private const int MaxSubjectLength = 200;

    public static async Task<IResult> GetAsync(
        string digest, BundleStore bundles, KeyringStore keyring, CancellationToken cancellationToken)
    {
        if (!AuditProblems.TryReadSha256(digest, out var bundleDigest))
        {
            return AuditProblems.Invalid($"'{digest}' is not a bundle digest: a bundle is named by the sha256 of its manifest, 64 hex digits");
        }

        if (await bundles.GetAsync(bundleDigest, cancellationToken) is not { } envelope)
        {
            return AuditProblems.NotFound($"no sealed bundle with digest {bundleDigest}");
        }

        BundleManifest manifest;
        byte[] canonicalManifest;
        try
        {
            (manifest, canonicalManifest) = InTotoStatement.ReadManifest(envelope);
        }
        catch (FormatException e)
        {
            return AuditProblems.Inconsistent($"bundle {bundleDigest} is stored but carries no readable manifest: {e.Message}");
        }

        var signer = manifest.Signer;
        if (await keyring.FindAsync(signer.KeyId, signer.KeyVersion, cancellationToken) is not { } key)
        {
            return AuditProblems.Inconsistent($"bundle {bundleDigest} was signed by {signer}, which the keyring does not hold");
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
                ["href"] = EvidenceEndpoints.Href(a.Sha256),
            })]),
        });
    }

    public static async Task<IResult> ListAsync(string? subject, string? kind, BundleStore bundles, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(subject))
        {
            return AuditProblems.Invalid("name the subject whose bundles to list: ?subject=TASK-0412 (and optionally &kind=task or &kind=change)");
        }

        if (subject.Length > MaxSubjectLength || subject.Any(char.IsControl))
        {
            return AuditProblems.Invalid($"subject must be at most {MaxSubjectLength} printable characters");
        }

        string[] kinds = kind switch
        {
            null or "" => [BundleSubject.Task, BundleSubject.Change],
            BundleSubject.Task or BundleSubject.Change => [kind],
            _ => [],
        };
        if (kinds.Length == 0)
        {
            return AuditProblems.Invalid($"kind must be '{BundleSubject.Task}' or '{BundleSubject.Change}', not '{kind}'");
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

    private static JsonObject Subject(BundleSubject subject) => new() { ["kind"] = subject.Kind, ["id"] = subject.Id };
}
