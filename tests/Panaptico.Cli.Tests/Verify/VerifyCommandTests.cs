using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Cli.Verify;
using Panaptico.Core.Canonical;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Cli.Tests.Verify;

/// <summary>`panaptico verify` over a bundle written in the offline layout, as the exporter writes it.</summary>
public sealed class VerifyCommandTests : IDisposable
{
    private static readonly byte[] KeysSnapshot = Encoding.UTF8.GetBytes("{\"keys\":312}\n");
    private static readonly byte[] RotateEvents = Encoding.UTF8.GetBytes("{\"event\":\"RotateKey\",\"key\":\"cmk-01\"}\n");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "panaptico-verify-" + Guid.NewGuid().ToString("N"));
    private readonly LocalEcdsaSigner _signer = LocalEcdsaSigner.Generate("local/dev");
    private readonly EcdsaCheckpointSigner _checkpointSigner = EcdsaCheckpointSigner.Generate("panaptico.test/ledger");

    [Fact]
    public async Task An_intact_bundle_verifies_with_exit_code_0()
    {
        var digest = await WriteBundleAsync();

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(0, exit);
        Assert.Contains($"VERIFIED: bundle {digest} for task:TASK-0412", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_envelope_file_can_be_given_instead_of_the_directory()
    {
        await WriteBundleAsync();

        var (exit, _) = await VerifyAsync(Path.Combine(_directory, BundleLayout.EnvelopeFile));

        Assert.Equal(0, exit);
    }

    [Fact]
    public async Task Flipping_one_byte_of_an_artifact_fails_and_names_the_artifact()
    {
        await WriteBundleAsync();
        FlipByte(Path.Combine(_directory, BundleLayout.ArtifactsDirectory, ContentHash.Sha256Hex(RotateEvents)), 5);

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(1, exit);
        Assert.Contains($"FAIL  artifact 'cloudtrail-rotatekey.ndjson' ({ContentHash.Sha256Hex(RotateEvents)}): content hashes to", output, StringComparison.Ordinal);
        Assert.Contains("ok    artifact 'kms-keys.json'", output, StringComparison.Ordinal);
        Assert.Contains("NOT VERIFIED: 1 check(s) failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_artifact_fails_and_is_named()
    {
        await WriteBundleAsync();
        File.Delete(Path.Combine(_directory, BundleLayout.ArtifactsDirectory, ContentHash.Sha256Hex(KeysSnapshot)));

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  artifact 'kms-keys.json'", output, StringComparison.Ordinal);
        Assert.Contains("missing", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flipping_one_byte_of_the_signed_manifest_in_the_envelope_fails_on_signature_and_digest()
    {
        await WriteBundleAsync();
        var path = Path.Combine(_directory, BundleLayout.EnvelopeFile);
        var envelope = DsseEnvelope.Parse(await File.ReadAllTextAsync(path));
        var payload = (byte[])envelope.Payload.Clone();
        payload[Encoding.UTF8.GetString(payload).IndexOf("TASK-0412", StringComparison.Ordinal) + 5] ^= 0x01;
        await File.WriteAllTextAsync(path, (envelope with { Payload = payload }).ToJson());

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  envelope.signatures:", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  manifest digest (statement.subject[0].digest.sha256):", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  manifest.json: differs from the signed manifest", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flipping_one_byte_of_the_readable_manifest_copy_fails_and_names_it()
    {
        await WriteBundleAsync();
        FlipByte(Path.Combine(_directory, BundleLayout.ManifestFile), 40);

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  manifest.json: differs from the signed manifest at byte 40", output, StringComparison.Ordinal);
        Assert.Contains("ok    envelope.signatures[0].sig", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keyring_without_the_signing_key_version_fails_on_the_keyring()
    {
        await WriteBundleAsync();
        using var other = LocalEcdsaSigner.Generate("local/dev");
        var otherKey = await other.CurrentKeyAsync(default);
        var keyring = Path.Combine(_directory, "auditor-keyring.json");
        await File.WriteAllTextAsync(keyring, Keyring.Empty.Append(new KeyringEntry(otherKey.KeyId, otherKey.Version, otherKey.PublicKeyPem, DateTimeOffset.UnixEpoch)).ToJson());

        var (exit, output) = await VerifyAsync(_directory, "--keyring", keyring);

        Assert.Equal(1, exit);
        Assert.Contains($"FAIL  keyring: no archived public key for local/dev#{_signer.KeyVersion}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_without_a_bundle_fails_and_names_the_missing_file()
    {
        Directory.CreateDirectory(_directory);

        var (exit, output) = await VerifyAsync(_directory);

        Assert.Equal(1, exit);
        Assert.Contains($"FAIL  {Path.Combine(_directory, BundleLayout.EnvelopeFile)}:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_ledger_export_the_seal_record_must_be_included_under_the_signed_tree_head()
    {
        var digest = await WriteBundleAsync();
        var export = await WriteLedgerExportAsync(digest, tamperSeal: false);

        var (exit, output) = await VerifyAsync(_directory, "--ledger", export);

        Assert.Equal(0, exit);
        Assert.Contains("ok    ledger record seq 1 (bundle.sealed): included in the signed tree of size 3", output, StringComparison.Ordinal);
        Assert.Contains("ok    ledger record seq 0 (key.archived): included in the signed tree of size 3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_ledger_export_a_keyring_key_the_ledger_archived_with_another_fingerprint_fails()
    {
        var digest = await WriteBundleAsync();
        var export = await WriteLedgerExportAsync(digest, tamperSeal: false, archivedFingerprint: new string('e', 64));

        var (exit, output) = await VerifyAsync(_directory, "--ledger", export);

        Assert.Equal(1, exit);
        Assert.Contains($"FAIL  ledger record seq 0 (key.archived): the ledger archived key local/dev#{_signer.KeyVersion} with fingerprint eeee", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ledger_key_is_taken_as_key_text_or_as_a_file_holding_it_like_ledger_verify_key()
    {
        var digest = await WriteBundleAsync();
        var export = await WriteLedgerExportAsync(digest, tamperSeal: false);
        var keyText = _checkpointSigner.PublicKey.ToVerifierKey();
        var keyFile = Path.Combine(_directory, "ledger.key");
        await File.WriteAllTextAsync(keyFile, keyText + "\n");
        var otherKeyFile = Path.Combine(_directory, "other.key");
        await File.WriteAllTextAsync(otherKeyFile, EcdsaCheckpointSigner.Generate("panaptico.test/ledger").PublicKey.ToVerifierKey());

        var (textExit, textOutput) = await VerifyAsync(_directory, "--ledger", export, "--ledger-key", keyText);
        var (fileExit, fileOutput) = await VerifyAsync(_directory, "--ledger", export, "--ledger-key", keyFile);
        var (otherExit, otherOutput) = await VerifyAsync(_directory, "--ledger", export, "--ledger-key", otherKeyFile);

        Assert.True(textExit == 0, textOutput);
        Assert.True(fileExit == 0, fileOutput);
        Assert.Contains("ok    ledger record seq 1 (bundle.sealed): included in the signed tree of size 3", fileOutput, StringComparison.Ordinal);
        Assert.Equal(1, otherExit);
        Assert.Contains("FAIL  ledger record seq 1 (bundle.sealed):", otherOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_export_whose_seal_record_was_rewritten_fails_and_names_the_record()
    {
        var digest = await WriteBundleAsync();
        var export = await WriteLedgerExportAsync(digest, tamperSeal: true);

        var (exit, output) = await VerifyAsync(_directory, "--ledger", export);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  ledger record seq 1 (bundle.sealed):", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_export_without_the_bundles_seal_record_fails_on_the_ledger()
    {
        await WriteBundleAsync();
        var export = await WriteLedgerExportAsync(new string('c', 64), tamperSeal: false);

        var (exit, output) = await VerifyAsync(_directory, "--ledger", export);

        Assert.Equal(1, exit);
        Assert.Contains("FAIL  ledger: no bundle.sealed record for bundle", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A three-record export written and signed by the ledger's own export code; with <paramref name="tamperSeal"/>
    /// the seal record's actor is rewritten after signing (its hash and the tree no longer match).
    /// </summary>
    private async Task<string> WriteLedgerExportAsync(string bundleDigest, bool tamperSeal, string? archivedFingerprint = null)
    {
        var at = new DateTimeOffset(2026, 4, 18, 10, 30, 0, TimeSpan.Zero);
        var key = await _signer.CurrentKeyAsync(default);
        var fingerprint = new KeyringEntry(key.KeyId, key.Version, key.PublicKeyPem, at).Fingerprint();
        var r0 = LedgerRecordFormat.Seal(0, at, new LedgerEntry("keyring", "key.archived", $"{key.KeyId}#{key.Version}", "system:sealer", new JsonObject { ["fingerprint"] = archivedFingerprint ?? fingerprint }), null);
        var r1 = LedgerRecordFormat.Seal(1, at, new LedgerEntry("evidence", "bundle.sealed", "TASK-0412", "m.alvarez", new JsonObject { ["bundleDigest"] = bundleDigest }), r0.Hash);
        var r2 = LedgerRecordFormat.Seal(2, at.AddMinutes(1), new LedgerEntry("governance", "task.completed", "TASK-0412", "m.alvarez", null), r1.Hash);
        var path = Path.Combine(_directory, "ledger.jsonl");
        await LedgerExportFiles.WriteAsync(
            path, LedgerExportFormat.Jsonl, new MerkleFrontier(), null, Lines(r0, r1, r2), _checkpointSigner, _checkpointSigner.PublicKey,
            "panaptico.test/ledger", (null, null), default);
        if (tamperSeal)
        {
            var lines = await File.ReadAllLinesAsync(path);
            lines[1] = lines[1].Replace("m.alvarez", "m.alvarex", StringComparison.Ordinal);
            await File.WriteAllTextAsync(path, string.Join('\n', lines) + "\n");
        }

        return path;
    }

    private static async IAsyncEnumerable<string> Lines(params LedgerRecord[] records)
    {
        foreach (var record in records)
        {
            await Task.Yield();
            yield return Encoding.UTF8.GetString(LedgerRecordFormat.CanonicalBytes(record));
        }
    }

    private static async Task<(int Exit, string Output)> VerifyAsync(params string[] args)
    {
        var root = new RootCommand { VerifyCommand.Create() };
        using var output = new StringWriter();
        var exit = await root.Parse(["verify", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = output });
        return (exit, output.ToString());
    }

    /// <summary>The offline layout, written the way the server's BundleExporter writes it.</summary>
    private async Task<string> WriteBundleAsync()
    {
        var artifacts = new Dictionary<string, byte[]> { ["kms-keys.json"] = KeysSnapshot, ["cloudtrail-rotatekey.ndjson"] = RotateEvents };
        var at = new DateTimeOffset(2026, 4, 18, 9, 30, 0, TimeSpan.Zero);
        var request = new SealRequest(
            new BundleSubject(BundleSubject.Task, "TASK-0412"),
            [.. artifacts.Select(a => new ManifestArtifact("rotation-evidence", a.Key, ContentHash.Sha256Hex(a.Value), a.Value.Length, "application/json", "m.alvarez", at))],
            [new ManifestApproval("security", "j.chen", at, "approved", null, "owner of finance CMKs", ContentHash.Sha256Hex("context"u8))],
            [new ManifestGate("evidence-complete", at)],
            []);
        var bundle = await new BundleSealer(_signer, new FakeTimeProvider(at.AddHours(1))).SealAsync(request, ImmutabilityStatus.NotEnforced, default);

        Directory.CreateDirectory(Path.Combine(_directory, BundleLayout.ArtifactsDirectory));
        await File.WriteAllTextAsync(Path.Combine(_directory, BundleLayout.EnvelopeFile), bundle.Envelope.ToJson());
        await File.WriteAllBytesAsync(Path.Combine(_directory, BundleLayout.ManifestFile), InTotoStatement.ReadManifest(bundle.Envelope).CanonicalManifest);
        var key = bundle.Key;
        await File.WriteAllTextAsync(Path.Combine(_directory, BundleLayout.KeyringFile), Keyring.Empty.Append(new KeyringEntry(key.KeyId, key.Version, key.PublicKeyPem, at)).ToJson());
        foreach (var bytes in artifacts.Values)
        {
            await File.WriteAllBytesAsync(Path.Combine(_directory, BundleLayout.ArtifactsDirectory, ContentHash.Sha256Hex(bytes)), bytes);
        }

        return bundle.Digest;
    }

    private static void FlipByte(string path, int at)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    public void Dispose()
    {
        _signer.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
