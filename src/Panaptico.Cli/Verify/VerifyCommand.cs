using System.CommandLine;
using Panaptico.Cli.Ledger;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;

namespace Panaptico.Cli.Verify;

/// <summary>
/// <c>panaptico verify &lt;bundle&gt;</c>: checks a sealed bundle offline, with nothing but its files. Exit 0 only when
/// the signature, the manifest digest, the readable manifest copy, every artifact and (with <c>--ledger</c>) the seal
/// record's inclusion in the ledger export hold; otherwise 1, naming each artifact, field or record that failed.
/// </summary>
public static class VerifyCommand
{
    public const int Verified = 0;
    public const int NotVerified = 1;

    public static Command Create()
    {
        var bundle = new Argument<string>("bundle")
        {
            Description = $"The bundle directory ({BundleLayout.EnvelopeFile}, {BundleLayout.KeyringFile}, {BundleLayout.ArtifactsDirectory}/<sha256>) or its {BundleLayout.EnvelopeFile}",
        };
        var keyring = new Option<string?>("--keyring")
        {
            Description = $"A keyring to trust instead of the bundle's own {BundleLayout.KeyringFile} (e.g. the one archived with the ledger)",
        };
        var ledger = new Option<string?>("--ledger")
        {
            Description = "A ledger export (JSONL, with its .checkpoint and .meta.json): check the bundle's seal record is included under its signed tree head",
        };
        var ledgerKey = new Option<string?>("--ledger-key")
        {
            Description = $"The key to trust instead of the one named in the export's metadata: {VerifierKeyInput.Description}",
        };

        var command = new Command("verify", "Verify a sealed evidence bundle offline: signature, manifest digest, every artifact")
        {
            bundle, keyring, ledger, ledgerKey,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            OfflineBundle.Locate(parse.GetValue(bundle)!, parse.GetValue(keyring)),
            parse.GetValue(ledger),
            parse.GetValue(ledgerKey),
            parse.InvocationConfiguration.Output,
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(OfflineBundle bundle, string? ledgerExport, string? ledgerKey, TextWriter output, CancellationToken cancellationToken)
    {
        DsseEnvelope envelope;
        Keyring keyring;
        CheckpointKey? pinnedLedgerKey;
        var reading = bundle.EnvelopePath;
        try
        {
            envelope = DsseEnvelope.Parse(await File.ReadAllTextAsync(reading, cancellationToken));
            reading = bundle.KeyringPath;
            keyring = Keyring.Parse(await File.ReadAllTextAsync(reading, cancellationToken));
            reading = "--ledger-key";
            pinnedLedgerKey = ledgerKey is null ? null : VerifierKeyInput.Parse(ledgerKey);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            await output.WriteLineAsync($"FAIL  {reading}: {e.Message}");
            await output.WriteLineAsync("NOT VERIFIED: the bundle cannot be read");
            return NotVerified;
        }

        var report = await BundleVerifier.VerifyAsync(envelope, keyring, bundle.OpenArtifact, cancellationToken);
        var checks = report.Checks.ToList();
        if (File.Exists(bundle.ManifestPath))
        {
            checks.Add(await CheckReadableManifestAsync(envelope, bundle.ManifestPath, cancellationToken));
        }

        if (ledgerExport is not null)
        {
            var signingKey = report.Manifest is { } manifest ? keyring.Find(manifest.Signer.KeyId, manifest.Signer.KeyVersion) : null;
            checks.AddRange(report.ManifestDigest is { } digest
                ? await LedgerSealCheck.CheckAsync(ledgerExport, digest, signingKey, pinnedLedgerKey, cancellationToken)
                : [new BundleCheck("ledger", false, "the bundle has no manifest digest to look for")]);
        }

        foreach (var check in checks)
        {
            await output.WriteLineAsync($"{(check.Passed ? "ok  " : "FAIL")}  {check.Target}: {check.Detail}");
        }

        var failures = checks.Count(c => !c.Passed);
        if (failures == 0 && report.Verified)
        {
            await output.WriteLineAsync($"VERIFIED: bundle {report.ManifestDigest} for {report.Manifest!.Subject}, sealed {report.Manifest.SealedAt:O} by {report.Manifest.Signer}");
            return Verified;
        }

        await output.WriteLineAsync($"NOT VERIFIED: {failures} check(s) failed");
        return NotVerified;
    }

    /// <summary>The readable copy must be exactly the signed manifest, or an auditor could be shown one thing and sign off another.</summary>
    private static async Task<BundleCheck> CheckReadableManifestAsync(DsseEnvelope envelope, string path, CancellationToken cancellationToken)
    {
        const string Target = BundleLayout.ManifestFile;
        try
        {
            var signed = InTotoStatement.ReadManifest(envelope).CanonicalManifest;
            var readable = await File.ReadAllBytesAsync(path, cancellationToken);
            return readable.AsSpan().SequenceEqual(signed)
                ? new BundleCheck(Target, true, "identical to the signed manifest")
                : new BundleCheck(Target, false, $"differs from the signed manifest at byte {readable.AsSpan().CommonPrefixLength(signed)}");
        }
        catch (FormatException e)
        {
            return new BundleCheck(Target, false, e.Message);
        }
    }
}
