using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Evidence;

public sealed record EvidenceSealingOptions
{
    /// <summary>True for a real account: sealing fails closed unless the evidence container is write-once.</summary>
    public bool RequireImmutability { get; init; }
}

public sealed class ArtifactNotInVaultException(string name, string sha256, string reason)
    : Exception($"artifact '{name}' ({sha256}) {reason}; sealing refused");

/// <summary>
/// Seals a task or change: checks immutability (fail closed where required), checks every artifact is in the vault
/// with the size the request says, archives the signing key version in the keyring, signs, stores the bundle and
/// writes the <c>bundle.sealed</c> ledger record whose inclusion proof auditors check.
/// </summary>
/// <remarks>
/// Sealing the same request again (a retried activity, a lost response) returns the bundle sealed first and leaves one
/// record: the first envelope is kept once per subject and request, and the record's entry id is
/// <c>seal/&lt;kind&gt;:&lt;id&gt;/&lt;request sha256&gt;</c>. A different request for the subject is a new bundle.
/// </remarks>
public sealed class EvidenceSealer(
    IBundleSigner signer,
    TimeProvider time,
    EvidenceVault vault,
    KeyringStore keyring,
    BundleStore bundles,
    ILedgerAppender ledger,
    ImmutabilityReport immutability,
    EvidenceSealingOptions options)
{
    public const string LedgerStream = "evidence";
    public const string LedgerKind = "bundle.sealed";

    private readonly BundleSealer _sealer = new(signer, time);

    /// <exception cref="ImmutabilityNotEnforcedException">Immutability is required and the container does not enforce it.</exception>
    /// <exception cref="ArtifactNotInVaultException">An artifact is missing from the vault or has another size.</exception>
    public async Task<SealedBundle> SealAsync(SealRequest request, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var status = ImmutabilityGuard.StatusForSealing(immutability, options.RequireImmutability);

        foreach (var artifact in request.Artifacts)
        {
            var stored = await vault.GetAsync(artifact.Sha256, cancellationToken)
                ?? throw new ArtifactNotInVaultException(artifact.Name, artifact.Sha256, "is not in the evidence vault");
            if (stored.Size != artifact.Size)
            {
                throw new ArtifactNotInVaultException(artifact.Name, artifact.Sha256, $"is {stored.Size} bytes in the vault, not {artifact.Size}");
            }
        }

        await keyring.ArchiveAsync(await signer.CurrentKeyAsync(cancellationToken), actor, cancellationToken);
        var signed = await _sealer.SealAsync(request, status, cancellationToken);
        var requestSha256 = ContentHash.Sha256HexOfCanonical(JsonSerializer.SerializeToNode(request, ManifestJson.Options));
        var first = await bundles.SaveFirstSealAsync(request.Subject, requestSha256, signed.Envelope, cancellationToken);
        var bundle = first.ToJson() == signed.Envelope.ToJson() ? signed : await ReadAsync(first, cancellationToken);
        await bundles.SaveAsync(bundle, cancellationToken);
        var data = new JsonObject
        {
            ["subjectKind"] = request.Subject.Kind,
            ["bundleDigest"] = bundle.Digest,
            ["keyId"] = bundle.Manifest.Signer.KeyId,
            ["keyVersion"] = bundle.Manifest.Signer.KeyVersion,
            ["immutability"] = bundle.Manifest.Immutability == ImmutabilityStatus.Enforced ? "enforced" : "not-enforced",
            ["artifacts"] = request.Artifacts.Count,
        };
        await ledger.AppendAsync(
            new LedgerEntry(LedgerStream, LedgerKind, request.Subject.Id, actor, data) { EntryId = $"seal/{request.Subject}/{requestSha256}" },
            cancellationToken);
        return bundle;
    }

    /// <summary>An envelope an earlier attempt sealed, with the key that signed it (archived before it signed).</summary>
    private async Task<SealedBundle> ReadAsync(DsseEnvelope envelope, CancellationToken cancellationToken)
    {
        var (manifest, canonical) = InTotoStatement.ReadManifest(envelope);
        var key = await keyring.FindAsync(manifest.Signer.KeyId, manifest.Signer.KeyVersion, cancellationToken)
            ?? throw new InvalidOperationException($"the key {manifest.Signer} of an earlier seal of {manifest.Subject} is not in the keyring");
        return new SealedBundle(manifest, ContentHash.Sha256Hex(canonical), envelope, new SigningKey(key.KeyId, key.Version, key.PublicKeyPem, key.CreatedAt));
    }
}
