using Panaptico.Core.Evidence;

namespace Panaptico.Storage.Evidence;

/// <summary>
/// Writes a sealed bundle in the offline layout (<see cref="BundleLayout"/>) that <c>panaptico verify</c> reads:
/// the envelope, a readable canonical copy of the manifest, the whole keyring, and every artifact named by its sha256.
/// </summary>
public sealed class BundleExporter(BundleStore bundles, EvidenceVault vault, KeyringStore keyring)
{
    /// <exception cref="KeyNotFoundException">No bundle with that digest, or one of its artifacts is missing from the vault.</exception>
    public async Task ExportAsync(string digest, string directory, CancellationToken cancellationToken)
    {
        var envelope = await bundles.GetAsync(digest, cancellationToken)
            ?? throw new KeyNotFoundException($"no sealed bundle with digest {digest}");
        var (manifest, canonicalManifest) = InTotoStatement.ReadManifest(envelope);

        var artifactsDirectory = Path.Combine(directory, BundleLayout.ArtifactsDirectory);
        Directory.CreateDirectory(artifactsDirectory);
        await File.WriteAllTextAsync(Path.Combine(directory, BundleLayout.EnvelopeFile), envelope.ToJson(), cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(directory, BundleLayout.ManifestFile), canonicalManifest, cancellationToken);
        var ring = await keyring.LoadAsync(cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, BundleLayout.KeyringFile), ring.ToJson(), cancellationToken);

        foreach (var sha256 in manifest.Artifacts.Select(a => a.Sha256).Distinct(StringComparer.Ordinal))
        {
            await using var source = await vault.OpenAsync(sha256, cancellationToken)
                ?? throw new KeyNotFoundException($"artifact {sha256} of bundle {digest} is not in the vault");
            await using var target = new FileStream(
                Path.Combine(artifactsDirectory, sha256), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20, useAsync: true);
            await source.CopyToAsync(target, 1 << 20, cancellationToken);
        }
    }
}
