using Panaptico.Core.Canonical;

namespace Panaptico.Core.Evidence;

/// <summary>What the feature sealing a task or change knows; the sealer adds the time, the signer and immutability.</summary>
public sealed record SealRequest(
    BundleSubject Subject,
    IReadOnlyList<ManifestArtifact> Artifacts,
    IReadOnlyList<ManifestApproval> Approvals,
    IReadOnlyList<ManifestGate> Gates,
    IReadOnlyList<UpstreamSeal> UpstreamSeals);

/// <summary>A signed bundle: the manifest, its digest (the bundle digest), the DSSE envelope and the key that signed.</summary>
public sealed record SealedBundle(BundleManifest Manifest, string Digest, DsseEnvelope Envelope, SigningKey Key);

/// <summary>Builds the manifest of a <see cref="SealRequest"/>, wraps it in an in-toto statement and signs it as DSSE.</summary>
public sealed class BundleSealer(IBundleSigner signer, TimeProvider time)
{
    /// <exception cref="ArgumentException">The request is incomplete or inconsistent (message names the field).</exception>
    /// <exception cref="BundleSealingException">The signer answered with another key version than announced.</exception>
    public async Task<SealedBundle> SealAsync(SealRequest request, ImmutabilityStatus immutability, CancellationToken cancellationToken)
    {
        Validate(request);
        var key = await signer.CurrentKeyAsync(cancellationToken);
        var manifest = new BundleManifest
        {
            Subject = request.Subject,
            Artifacts = request.Artifacts,
            Approvals = request.Approvals,
            Gates = request.Gates,
            UpstreamSeals = request.UpstreamSeals,
            Immutability = immutability,
            SealedAt = time.GetUtcNow(),
            Signer = new BundleSignerRef(key.KeyId, key.Version),
        };

        var manifestNode = ManifestJson.ToNode(manifest);
        var digest = ContentHash.Sha256HexOfCanonical(manifestNode);
        var payload = CanonicalJson.Serialize(InTotoStatement.Create(request.Subject, digest, manifestNode));
        var pae = DsseEnvelope.PreAuthenticationEncoding(DsseEnvelope.InTotoPayloadType, payload);
        var signature = await signer.SignAsync(pae, cancellationToken);

        // The manifest names the version before signing; a rotation in between would make it lie, so refuse.
        if (signature.KeyVersion != key.Version)
        {
            throw new BundleSealingException(
                $"key {key.KeyId} signed with version {signature.KeyVersion}, but version {key.Version} was announced; seal again");
        }

        var envelope = new DsseEnvelope(
            DsseEnvelope.InTotoPayloadType, payload, [new DsseSignature(manifest.Signer.ToString(), signature.Signature)]);
        return new SealedBundle(manifest, digest, envelope, key);
    }

    private static void Validate(SealRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Subject is not { Kind: BundleSubject.Task or BundleSubject.Change or BundleSubject.Drift } || string.IsNullOrWhiteSpace(request.Subject.Id))
        {
            throw new ArgumentException($"subject must be a task, change or drift row with an id, not '{request.Subject}'", nameof(request));
        }

        foreach (var artifact in request.Artifacts)
        {
            if (!ContentHash.IsSha256Hex(artifact.Sha256))
            {
                throw new ArgumentException($"artifact '{artifact.Name}': sha256 '{artifact.Sha256}' is not 64 lowercase hex digits", nameof(request));
            }

            if (artifact.Size <= 0)
            {
                throw new ArgumentException($"artifact '{artifact.Name}': size must be positive", nameof(request));
            }
        }

        var duplicate = request.Artifacts.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"artifact name '{duplicate.Key}' appears twice", nameof(request));
        }

        foreach (var approval in request.Approvals)
        {
            if (!ContentHash.IsSha256Hex(approval.ContextPackSha256))
            {
                throw new ArgumentException($"approval by '{approval.Who}' for seat '{approval.Seat}': context-pack hash is not a sha256", nameof(request));
            }
        }

        foreach (var seal in request.UpstreamSeals)
        {
            if (!ContentHash.IsSha256Hex(seal.BundleDigest))
            {
                throw new ArgumentException($"upstream seal of {seal.Subject}: bundle digest is not a sha256", nameof(request));
            }
        }
    }
}

public sealed class BundleSealingException(string message) : Exception(message);
