using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;

namespace Panaptico.Core.Tests.Evidence;

public class BundleSealingTests
{
    private readonly FakeTimeProvider _time = new(SampleEvidence.Start.AddHours(1));
    private readonly Dictionary<string, byte[]> _artifacts = SampleEvidence.Artifacts();

    [Fact]
    public async Task A_sealed_bundle_verifies_with_its_artifacts_and_the_archived_key()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);

        var report = await Verify(bundle.Envelope, SampleEvidence.KeyringOf(bundle.Key));

        Assert.True(report.Verified, string.Join("; ", report.Failures));
        Assert.Equal(bundle.Digest, report.ManifestDigest);
        Assert.Equal(2, report.Checks.Count(c => c.Target.StartsWith("artifact ", StringComparison.Ordinal) && c.Passed));
    }

    [Fact]
    public async Task The_manifest_records_the_exact_key_version_the_seal_time_and_immutability()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");

        var bundle = await Seal(signer);

        Assert.Equal(new BundleSignerRef("local/dev", signer.KeyVersion), bundle.Manifest.Signer);
        Assert.Equal(_time.GetUtcNow(), bundle.Manifest.SealedAt);
        Assert.Equal("local/dev#" + signer.KeyVersion, bundle.Envelope.Signatures.Single().KeyId);
        var predicate = JsonNode.Parse(bundle.Envelope.Payload)!["predicate"]!;
        Assert.Equal("not-enforced", (string?)predicate["immutability"]);
        Assert.Equal("2026-04-18T10:30:00.0000000Z", (string?)predicate["sealedAt"]);
    }

    [Fact]
    public async Task The_bundle_digest_is_the_sha256_of_the_canonical_manifest_and_the_statement_subject()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");

        var bundle = await Seal(signer);

        var statement = JsonNode.Parse(bundle.Envelope.Payload)!;
        Assert.Equal(ContentHash.Sha256Hex(CanonicalJson.Serialize(statement["predicate"])), bundle.Digest);
        Assert.Equal(bundle.Digest, (string?)statement["subject"]![0]!["digest"]!["sha256"]);
        Assert.Equal("task:TASK-0412", (string?)statement["subject"]![0]!["name"]);
        Assert.Equal(InTotoStatement.StatementType, (string?)statement["_type"]);
        Assert.Equal(CanonicalJson.Canonicalize(bundle.Envelope.Payload), bundle.Envelope.Payload);
    }

    [Fact]
    public async Task Flipping_one_byte_of_an_artifact_is_caught_and_names_that_artifact()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);
        var original = ContentHash.Sha256Hex(_artifacts["cloudtrail-rotatekey.ndjson"]);
        _artifacts["cloudtrail-rotatekey.ndjson"] = (byte[])_artifacts["cloudtrail-rotatekey.ndjson"].Clone();
        _artifacts["cloudtrail-rotatekey.ndjson"][3] ^= 0x01;
        var opener = TamperedOpener(original, _artifacts["cloudtrail-rotatekey.ndjson"]);

        var report = await BundleVerifier.VerifyAsync(bundle.Envelope, SampleEvidence.KeyringOf(bundle.Key), opener, default);

        Assert.False(report.Verified);
        var failure = Assert.Single(report.Failures);
        Assert.Equal($"artifact 'cloudtrail-rotatekey.ndjson' ({original})", failure.Target);
        Assert.StartsWith("content hashes to ", failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_artifact_is_named()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);
        _artifacts.Remove("kms-pre-post.jsonl");

        var report = await Verify(bundle.Envelope, SampleEvidence.KeyringOf(bundle.Key));

        var failure = Assert.Single(report.Failures);
        Assert.StartsWith("artifact 'kms-pre-post.jsonl'", failure.Target, StringComparison.Ordinal);
        Assert.Equal("missing", failure.Detail);
    }

    [Fact]
    public async Task Flipping_one_byte_of_the_manifest_breaks_the_signature_and_the_manifest_digest()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);
        var payload = (byte[])bundle.Envelope.Payload.Clone();
        var at = Encoding.UTF8.GetString(payload).IndexOf("j.chen", StringComparison.Ordinal) + 3;
        payload[at] ^= 0x01; // "j.chen" → "j.cden": still valid JSON, a different approver
        var tampered = bundle.Envelope with { Payload = payload };

        var report = await Verify(tampered, SampleEvidence.KeyringOf(bundle.Key));

        Assert.False(report.Verified);
        Assert.Equal(
            ["manifest digest (statement.subject[0].digest.sha256)", "envelope.signatures"],
            report.Failures.Select(f => f.Target).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task Flipping_one_byte_of_the_signature_is_caught_as_a_signature_failure()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);
        var sig = (byte[])bundle.Envelope.Signatures[0].Sig.Clone();
        sig[10] ^= 0x80;
        var tampered = bundle.Envelope with { Signatures = [bundle.Envelope.Signatures[0] with { Sig = sig }] };

        var report = await Verify(tampered, SampleEvidence.KeyringOf(bundle.Key));

        Assert.Equal("envelope.signatures", Assert.Single(report.Failures).Target);
    }

    [Fact]
    public async Task A_bundle_signed_by_a_key_version_missing_from_the_keyring_fails_on_the_keyring()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        using var other = LocalEcdsaSigner.Generate("local/dev");
        var bundle = await Seal(signer);

        var report = await Verify(bundle.Envelope, SampleEvidence.KeyringOf(await other.CurrentKeyAsync(default)));

        var failure = Assert.Single(report.Failures);
        Assert.Equal("keyring", failure.Target);
        Assert.Contains(signer.KeyVersion, failure.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_rotation_old_and_new_bundles_both_verify_from_the_keyring_alone()
    {
        using var before = LocalEcdsaSigner.Generate("local/dev");
        using var after = LocalEcdsaSigner.Generate("local/dev");
        var old = await Seal(before);
        var fresh = await Seal(after);
        var keyring = SampleEvidence.KeyringOf(old.Key, fresh.Key);

        Assert.True((await Verify(old.Envelope, keyring)).Verified);
        Assert.True((await Verify(fresh.Envelope, keyring)).Verified);
        Assert.NotEqual(old.Manifest.Signer.KeyVersion, fresh.Manifest.Signer.KeyVersion);
    }

    [Fact]
    public async Task Sealing_fails_when_the_signer_signs_with_another_version_than_it_announced()
    {
        var signer = new RotatingSigner();

        var error = await Assert.ThrowsAsync<BundleSealingException>(() => Seal(signer));

        Assert.Contains("v2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sealing_refuses_an_artifact_whose_hash_is_not_a_sha256()
    {
        using var signer = LocalEcdsaSigner.Generate("local/dev");
        var request = SampleEvidence.Request(_artifacts);
        request = request with { Artifacts = [request.Artifacts[0] with { Sha256 = "ABC" }] };

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => new BundleSealer(signer, _time).SealAsync(request, ImmutabilityStatus.NotEnforced, default));

        Assert.Contains("kms-pre-post.jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_local_signer_loaded_from_its_pem_keeps_its_version_and_its_signatures_verify()
    {
        using var generated = LocalEcdsaSigner.Generate("local/dev");
        using var loaded = LocalEcdsaSigner.FromPem("local/dev", generated.ExportPrivateKeyPem());
        var bundle = await Seal(loaded);

        var report = await Verify(bundle.Envelope, SampleEvidence.KeyringOf(await generated.CurrentKeyAsync(default)));

        Assert.Equal(generated.KeyVersion, loaded.KeyVersion);
        Assert.True(report.Verified);
    }

    private Task<SealedBundle> Seal(IBundleSigner signer) =>
        new BundleSealer(signer, _time).SealAsync(SampleEvidence.Request(_artifacts), ImmutabilityStatus.NotEnforced, default);

    private Task<BundleVerificationReport> Verify(DsseEnvelope envelope, Keyring keyring) =>
        BundleVerifier.VerifyAsync(envelope, keyring, SampleEvidence.Opener(_artifacts), default);

    private ArtifactOpener TamperedOpener(string sha256, byte[] tampered)
    {
        var honest = SampleEvidence.Opener(_artifacts);
        return (hash, ct) => hash == sha256 ? ValueTask.FromResult<Stream?>(new MemoryStream(tampered)) : honest(hash, ct);
    }

    /// <summary>Announces v1 and signs with v2, as a Key Vault key rotated mid-seal would.</summary>
    private sealed class RotatingSigner : IBundleSigner
    {
        private readonly LocalEcdsaSigner _inner = LocalEcdsaSigner.Generate("kv/key");

        public string KeyId => "kv/key";

        public async Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken) =>
            (await _inner.CurrentKeyAsync(cancellationToken)) with { Version = "v1" };

        public async Task<BundleSignature> SignAsync(byte[] pae, CancellationToken cancellationToken) =>
            (await _inner.SignAsync(pae, cancellationToken)) with { KeyVersion = "v2" };
    }
}
