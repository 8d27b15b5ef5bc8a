using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Evidence;

/// <summary>One thing the verifier checked; <see cref="Target"/> names the exact field or artifact.</summary>
public sealed record BundleCheck(string Target, bool Passed, string Detail);

public sealed record BundleVerificationReport(IReadOnlyList<BundleCheck> Checks, BundleManifest? Manifest, string? ManifestDigest)
{
    public bool Verified => Checks.Count > 0 && Checks.All(c => c.Passed);

    public IEnumerable<BundleCheck> Failures => Checks.Where(c => !c.Passed);
}

/// <summary>Opens an artifact's bytes by sha256, or null when there is no such artifact.</summary>
public delegate ValueTask<Stream?> ArtifactOpener(string sha256, CancellationToken cancellationToken);

/// <summary>
/// Checks a sealed bundle with nothing but the envelope, a keyring and the artifacts' bytes: the signature against the
/// exact archived key version, the manifest digest the statement claims, and every artifact re-hashed.
/// It reports every failure it finds, not only the first.
/// </summary>
public static class BundleVerifier
{
    public static async Task<BundleVerificationReport> VerifyAsync(
        DsseEnvelope envelope, Keyring keyring, ArtifactOpener openArtifact, CancellationToken cancellationToken)
    {
        var checks = new List<BundleCheck>();
        void Check(string target, bool passed, string detail) => checks.Add(new BundleCheck(target, passed, detail));

        Check("envelope.payloadType", envelope.PayloadType == DsseEnvelope.InTotoPayloadType, envelope.PayloadType);

        JsonObject statement;
        try
        {
            statement = JsonNode.Parse(envelope.Payload)?.AsObject() ?? throw new JsonException("payload is null");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            Check("envelope.payload", false, $"not an in-toto statement: {e.Message}");
            return new BundleVerificationReport(checks, null, null);
        }

        Check("statement._type", Text(statement["_type"]) == InTotoStatement.StatementType, Text(statement["_type"]) ?? "missing");
        Check("statement.predicateType", Text(statement["predicateType"]) == InTotoStatement.PredicateType, Text(statement["predicateType"]) ?? "missing");

        var predicate = statement["predicate"];
        if (predicate is not JsonObject)
        {
            Check("statement.predicate", false, "the statement carries no manifest");
            return new BundleVerificationReport(checks, null, null);
        }

        var digest = ContentHash.Sha256HexOfCanonical(predicate);
        var subject = statement["subject"] is JsonArray { Count: > 0 } subjects ? subjects[0] as JsonObject : null;
        var claimed = Text((subject?["digest"] as JsonObject)?["sha256"]);
        Check("manifest digest (statement.subject[0].digest.sha256)", claimed == digest,
            claimed == digest ? digest : $"the statement claims {claimed ?? "nothing"} but the manifest hashes to {digest}");

        BundleManifest manifest;
        try
        {
            manifest = ManifestJson.FromNode(predicate);
        }
        catch (Exception e) when (e is JsonException or FormatException or NotSupportedException)
        {
            Check("manifest", false, $"not a bundle manifest: {e.Message}");
            return new BundleVerificationReport(checks, null, digest);
        }

        Check("statement.subject[0].name", Text(subject?["name"]) == manifest.Subject.ToString(), manifest.Subject.ToString());
        CheckSignature(envelope, keyring, manifest.Signer, Check);

        foreach (var artifact in manifest.Artifacts)
        {
            await CheckArtifactAsync(artifact, openArtifact, Check, cancellationToken);
        }

        Check("manifest.immutability", true, manifest.Immutability == ImmutabilityStatus.Enforced ? "enforced" : "not-enforced");
        return new BundleVerificationReport(checks, manifest, digest);
    }

    private static void CheckSignature(DsseEnvelope envelope, Keyring keyring, BundleSignerRef signer, Action<string, bool, string> check)
    {
        var entry = keyring.Find(signer.KeyId, signer.KeyVersion);
        if (entry is null)
        {
            check("keyring", false, $"no archived public key for {signer}");
            return;
        }

        ECDsa publicKey;
        try
        {
            publicKey = entry.ImportPublicKey();
        }
        catch (CryptographicException e)
        {
            check("keyring", false, e.Message);
            return;
        }

        using (publicKey)
        {
            var pae = envelope.PreAuthenticationEncoding();
            for (var i = 0; i < envelope.Signatures.Count; i++)
            {
                if (publicKey.VerifyData(pae, envelope.Signatures[i].Sig, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
                {
                    check($"envelope.signatures[{i}].sig", true, $"ECDSA P-256 by {signer}, key fingerprint {entry.Fingerprint()}");
                    return;
                }
            }

            check("envelope.signatures", false, envelope.Signatures.Count == 0
                ? "the envelope carries no signature"
                : $"no signature verifies with {signer} (key fingerprint {entry.Fingerprint()})");
        }
    }

    private static async Task CheckArtifactAsync(
        ManifestArtifact artifact, ArtifactOpener openArtifact, Action<string, bool, string> check, CancellationToken cancellationToken)
    {
        var target = $"artifact '{artifact.Name}' ({artifact.Sha256})";
        if (!ContentHash.IsSha256Hex(artifact.Sha256))
        {
            check(target, false, "the manifest's sha256 is not 64 lowercase hex digits");
            return;
        }

        await using var content = await openArtifact(artifact.Sha256, cancellationToken);
        if (content is null)
        {
            check(target, false, "missing");
            return;
        }

        var (sha256, size) = await ArtifactBlockReader.HashAsync(content, cancellationToken: cancellationToken);
        if (sha256 != artifact.Sha256)
        {
            check(target, false, $"content hashes to {sha256}");
        }
        else if (size != artifact.Size)
        {
            check(target, false, $"size is {size} bytes, the manifest says {artifact.Size}");
        }
        else
        {
            check(target, true, $"{size} bytes");
        }
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;
}
