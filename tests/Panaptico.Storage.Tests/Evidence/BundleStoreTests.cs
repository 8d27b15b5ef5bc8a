using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Tests.Evidence;

public class BundleStoreTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_stored_bundle_is_found_by_digest_and_by_subject_in_seal_order()
    {
        var store = new BundleStore(await EvidenceStorage.ContainerAsync("bundles"));
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var first = await SealAsync(signer);
        _time.Advance(TimeSpan.FromDays(1));
        var second = await SealAsync(signer);

        await store.SaveAsync(second, default);
        await store.SaveAsync(first, default);

        Assert.Equal(first.Envelope.ToJson(), (await store.GetAsync(first.Digest, default))!.ToJson());
        Assert.Equal([first.Digest, second.Digest], (await store.ListAsync(first.Manifest.Subject, default)).Select(b => b.Digest));
        Assert.Null(await store.GetAsync(new string('0', 64), default));
    }

    [Fact]
    public async Task Saving_the_same_bundle_again_changes_nothing()
    {
        var store = new BundleStore(await EvidenceStorage.ContainerAsync("bundles"));
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await SealAsync(signer);

        await store.SaveAsync(bundle, default);
        await store.SaveAsync(bundle, default);

        Assert.Equal(2, (await EvidenceStorage.AllBlobsAsync(store.Container)).Count);
    }

    [Fact]
    public async Task A_different_envelope_under_a_stored_digest_is_refused()
    {
        var store = new BundleStore(await EvidenceStorage.ContainerAsync("bundles"));
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await SealAsync(signer);
        await store.SaveAsync(bundle, default);
        var resigned = bundle with { Envelope = bundle.Envelope with { Signatures = [bundle.Envelope.Signatures[0] with { Sig = new byte[64] }] } };

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.SaveAsync(resigned, default));

        Assert.Equal(bundle.Envelope.ToJson(), (await store.GetAsync(bundle.Digest, default))!.ToJson());
    }

    [Fact]
    public async Task The_first_seal_kept_for_a_request_is_what_every_later_attempt_gets()
    {
        var store = new BundleStore(await EvidenceStorage.ContainerAsync("bundles"));
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var first = await SealAsync(signer);
        _time.Advance(TimeSpan.FromMinutes(1));
        var retried = await SealAsync(signer);
        var request = new string('d', 64);

        var kept = await store.SaveFirstSealAsync(first.Manifest.Subject, request, first.Envelope, default);
        var keptAgain = await store.SaveFirstSealAsync(retried.Manifest.Subject, request, retried.Envelope, default);
        var other = await store.SaveFirstSealAsync(retried.Manifest.Subject, new string('e', 64), retried.Envelope, default);

        Assert.Equal(first.Envelope.ToJson(), kept.ToJson());
        Assert.Equal(first.Envelope.ToJson(), keptAgain.ToJson());
        Assert.Equal(retried.Envelope.ToJson(), other.ToJson());
    }

    private Task<SealedBundle> SealAsync(IBundleSigner signer)
    {
        var artifact = new ManifestArtifact("r", "a.txt", ContentHash.Sha256Hex("a"u8), 1, "text/plain", "m.alvarez", _time.GetUtcNow());
        var request = new SealRequest(new BundleSubject(BundleSubject.Task, "TASK-0412"), [artifact], [], [], []);
        return new BundleSealer(signer, _time).SealAsync(request, ImmutabilityStatus.NotEnforced, default);
    }
}
