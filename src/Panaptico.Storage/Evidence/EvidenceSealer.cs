using System.Text.Json.Nodes;
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
        var bundle = await _sealer.SealAsync(request, status, cancellationToken);
        await bundles.SaveAsync(bundle, cancellationToken);
        await ledger.AppendAsync(
            new LedgerEntry(LedgerStream, LedgerKind, request.Subject.Id, actor, new JsonObject
            {
                ["subjectKind"] = request.Subject.Kind,
                ["bundleDigest"] = bundle.Digest,
                ["keyId"] = bundle.Manifest.Signer.KeyId,
                ["keyVersion"] = bundle.Manifest.Signer.KeyVersion,
                ["immutability"] = status == ImmutabilityStatus.Enforced ? "enforced" : "not-enforced",
                ["artifacts"] = request.Artifacts.Count,
            }),
            cancellationToken);
        return bundle;
    }
}
