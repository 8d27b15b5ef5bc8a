using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Tests.Evidence;

public sealed class EvidenceSealerTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero));
    private readonly RecordingLedger _ledger = new();
    private readonly LocalEcdsaSigner _signer = LocalEcdsaSigner.Generate("local/dev");
    private readonly string _exportDirectory = Path.Combine(Path.GetTempPath(), "panaptico-bundle-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_sealed_bundle_is_stored_recorded_in_the_ledger_and_exported_for_offline_verification()
    {
        var parts = await PartsAsync();
        var stored = await parts.Vault.PutAsync(new MemoryStream(RandomNumberGenerator.GetBytes(3000)), Capture("kms-pre-post.jsonl"), null, default);
        var sealer = Sealer(parts, new ImmutabilityReport(ImmutabilityStatus.NotEnforced, "azurite"), require: false);

        var bundle = await sealer.SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default);
        await new BundleExporter(parts.Bundles, parts.Vault, parts.Keyring).ExportAsync(bundle.Digest, _exportDirectory, default);

        Assert.Equal(ImmutabilityStatus.NotEnforced, bundle.Manifest.Immutability);
        Assert.Equal([new StoredBundle(bundle.Digest, bundle.Manifest.Subject, _time.GetUtcNow())], await parts.Bundles.ListAsync(bundle.Manifest.Subject, default));
        Assert.Equal(["key.archived", "bundle.sealed"], _ledger.Entries.Select(e => e.Kind));
        Assert.Equal(bundle.Digest, (string?)_ledger.Entries[1].Data!["bundleDigest"]);

        var envelope = DsseEnvelope.Parse(await File.ReadAllTextAsync(Path.Combine(_exportDirectory, BundleLayout.EnvelopeFile)));
        var keyring = Keyring.Parse(await File.ReadAllTextAsync(Path.Combine(_exportDirectory, BundleLayout.KeyringFile)));
        var report = await BundleVerifier.VerifyAsync(envelope, keyring, (sha256, _) => ValueTask.FromResult<Stream?>(
            File.OpenRead(Path.Combine(_exportDirectory, BundleLayout.ArtifactsDirectory, sha256))), default);
        Assert.True(report.Verified, string.Join("; ", report.Failures));
        Assert.Equal(InTotoStatement.ReadManifest(envelope).CanonicalManifest, await File.ReadAllBytesAsync(Path.Combine(_exportDirectory, BundleLayout.ManifestFile)));
    }

    [Fact]
    public async Task Sealing_fails_closed_when_immutability_is_required_and_not_enforced_and_nothing_is_stored()
    {
        var parts = await PartsAsync();
        var stored = await parts.Vault.PutAsync(new MemoryStream([1, 2, 3]), Capture("a.txt"), null, default);
        var sealer = Sealer(parts, new ImmutabilityReport(ImmutabilityStatus.NotEnforced, "no version-level immutability"), require: true);

        await Assert.ThrowsAsync<ImmutabilityNotEnforcedException>(() => sealer.SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default));

        Assert.Empty(await EvidenceStorage.AllBlobsAsync(parts.Bundles.Container));
        Assert.Empty(_ledger.Entries);
    }

    [Fact]
    public async Task Sealing_refuses_an_artifact_that_is_not_in_the_vault()
    {
        var parts = await PartsAsync();
        var sealer = Sealer(parts, new ImmutabilityReport(ImmutabilityStatus.Enforced, "test"), require: true);
        var ghost = new ManifestArtifact("r", "ghost.txt", new string('b', 64), 10, "text/plain", "m.alvarez", _time.GetUtcNow());

        var error = await Assert.ThrowsAsync<ArtifactNotInVaultException>(() => sealer.SealAsync(Request(ghost), "m.alvarez", default));

        Assert.Contains("ghost.txt", error.Message, StringComparison.Ordinal);
        Assert.Empty(await EvidenceStorage.AllBlobsAsync(parts.Bundles.Container));
    }

    private static ArtifactCapture Capture(string name) => new("rotation-evidence", name, "application/octet-stream", "m.alvarez");

    private static SealRequest Request(ManifestArtifact artifact) =>
        new(new BundleSubject(BundleSubject.Task, "TASK-0412"), [artifact], [], [], []);

    private EvidenceSealer Sealer(Parts parts, ImmutabilityReport immutability, bool require) =>
        new(_signer, _time, parts.Vault, parts.Keyring, parts.Bundles, _ledger, immutability, new EvidenceSealingOptions { RequireImmutability = require });

    private async Task<Parts> PartsAsync() => new(
        new EvidenceVault(await EvidenceStorage.ContainerAsync("evidence"), new EvidenceVaultOptions(), _time),
        new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, _ledger),
        new BundleStore(await EvidenceStorage.ContainerAsync("bundles")));

    private sealed record Parts(EvidenceVault Vault, KeyringStore Keyring, BundleStore Bundles);

    public void Dispose()
    {
        _signer.Dispose();
        if (Directory.Exists(_exportDirectory))
        {
            Directory.Delete(_exportDirectory, recursive: true);
        }
    }
}
