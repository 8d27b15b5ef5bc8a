using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;

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
        Assert.StartsWith("seal/task:TASK-0412/", _ledger.Entries[1].EntryId, StringComparison.Ordinal);

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

    [Fact]
    public async Task Sealing_the_same_request_again_returns_the_first_bundle_and_records_it_once()
    {
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var parts = await PartsAsync(ledger);
        var stored = await parts.Vault.PutAsync(new MemoryStream([1, 2, 3]), Capture("a.txt"), null, default);
        var sealer = Sealer(parts, ledger);

        var first = await sealer.SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default);
        _time.Advance(TimeSpan.FromMinutes(3));
        var again = await sealer.SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default);

        Assert.Equal((first.Digest, first.Envelope.ToJson()), (again.Digest, again.Envelope.ToJson()));
        Assert.Single(await parts.Bundles.ListAsync(first.Manifest.Subject, default));
        Assert.Equal([first.Digest], await SealedDigestsAsync(ledger));
    }

    [Fact]
    public async Task A_seal_whose_ledger_record_failed_is_finished_by_the_retry_with_the_first_bundle()
    {
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var parts = await PartsAsync(ledger);
        var stored = await parts.Vault.PutAsync(new MemoryStream([1, 2, 3]), Capture("a.txt"), null, default);
        var sealedAt = _time.GetUtcNow();

        await Assert.ThrowsAsync<IOException>(() => Sealer(parts, new FailingSealRecord(ledger)).SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default));
        _time.Advance(TimeSpan.FromMinutes(3));
        var retried = await Sealer(parts, ledger).SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default);

        Assert.Equal(sealedAt, retried.Manifest.SealedAt);
        Assert.Equal(_signer.KeyVersion, retried.Key.Version);
        Assert.Equal([new StoredBundle(retried.Digest, retried.Manifest.Subject, sealedAt)], await parts.Bundles.ListAsync(retried.Manifest.Subject, default));
        Assert.Equal([retried.Digest], await SealedDigestsAsync(ledger));
    }

    [Fact]
    public async Task Concurrent_seals_of_one_request_on_two_instances_yield_one_bundle_and_one_record()
    {
        var ledgerTable = await EvidenceStorage.TableAsync("ledger");
        await using var a = new TableLedger(ledgerTable, _time);
        await using var b = new TableLedger(ledgerTable, _time);
        var parts = await PartsAsync(a);
        var stored = await parts.Vault.PutAsync(new MemoryStream([1, 2, 3]), Capture("a.txt"), null, default);

        var bundles = await Task.WhenAll(
            Sealer(parts, a).SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default),
            Sealer(parts with { Keyring = new KeyringStore(parts.Keyring.Table, _time, b) }, b).SealAsync(Request(stored.ToManifestArtifact()), "m.alvarez", default));

        Assert.Equal(bundles[0].Envelope.ToJson(), bundles[1].Envelope.ToJson());
        Assert.Single(await parts.Bundles.ListAsync(bundles[0].Manifest.Subject, default));
        Assert.Equal([bundles[0].Digest], await SealedDigestsAsync(a));
    }

    [Fact]
    public async Task Another_request_for_the_same_subject_is_sealed_as_its_own_bundle()
    {
        await using var ledger = new TableLedger(await EvidenceStorage.TableAsync("ledger"), _time);
        var parts = await PartsAsync(ledger);
        var one = await parts.Vault.PutAsync(new MemoryStream([1, 2, 3]), Capture("a.txt"), null, default);
        var two = await parts.Vault.PutAsync(new MemoryStream([4, 5, 6]), Capture("b.txt"), null, default);
        var sealer = Sealer(parts, ledger);

        var first = await sealer.SealAsync(Request(one.ToManifestArtifact()), "m.alvarez", default);
        _time.Advance(TimeSpan.FromMinutes(3));
        var second = await sealer.SealAsync(Request(two.ToManifestArtifact()), "m.alvarez", default);

        Assert.NotEqual(first.Digest, second.Digest);
        Assert.Equal([first.Digest, second.Digest], (await parts.Bundles.ListAsync(first.Manifest.Subject, default)).Select(b => b.Digest));
        Assert.Equal([first.Digest, second.Digest], await SealedDigestsAsync(ledger));
    }

    private static async Task<List<string?>> SealedDigestsAsync(TableLedger ledger)
    {
        var head = await ledger.ReadHeadAsync(default);
        var digests = new List<string?>();
        await foreach (var record in ledger.ReadRangeAsync(0, head.Size - 1, default))
        {
            if (record.Kind == EvidenceSealer.LedgerKind)
            {
                digests.Add((string?)record.Data!["bundleDigest"]);
            }
        }

        return digests;
    }

    /// <summary>Fails the first <c>bundle.sealed</c> append before it reaches the ledger: an instance gone mid-seal.</summary>
    private sealed class FailingSealRecord(ILedgerAppender inner) : ILedgerAppender
    {
        public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken) =>
            entry.Kind == EvidenceSealer.LedgerKind ? throw new IOException("the instance went away") : inner.AppendAsync(entry, cancellationToken);
    }

    private static ArtifactCapture Capture(string name) => new("rotation-evidence", name, "application/octet-stream", "m.alvarez");

    private static SealRequest Request(ManifestArtifact artifact) =>
        new(new BundleSubject(BundleSubject.Task, "TASK-0412"), [artifact], [], [], []);

    private EvidenceSealer Sealer(Parts parts, ImmutabilityReport immutability, bool require) =>
        new(_signer, _time, parts.Vault, parts.Keyring, parts.Bundles, _ledger, immutability, new EvidenceSealingOptions { RequireImmutability = require });

    private EvidenceSealer Sealer(Parts parts, ILedgerAppender ledger) =>
        new(_signer, _time, parts.Vault, parts.Keyring, parts.Bundles, ledger, new ImmutabilityReport(ImmutabilityStatus.NotEnforced, "azurite"), new EvidenceSealingOptions());

    private async Task<Parts> PartsAsync(ILedgerAppender? ledger = null) => new(
        new EvidenceVault(await EvidenceStorage.ContainerAsync("evidence"), new EvidenceVaultOptions(), _time),
        new KeyringStore(await EvidenceStorage.TableAsync("keyring"), _time, ledger ?? _ledger),
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
