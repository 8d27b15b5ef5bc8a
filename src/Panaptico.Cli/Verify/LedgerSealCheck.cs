using System.Text;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Ledger;

namespace Panaptico.Cli.Verify;

/// <summary>
/// Checks a bundle against a ledger export: the <c>bundle.sealed</c> record naming the bundle's digest, and the
/// <c>key.archived</c> record of the key version that signed it (with the same public key fingerprint as the keyring
/// used), are both included under the export's signed tree head. The second closes the gap of a bundle re-signed
/// with a key of the forger's own, shipped in its own keyring.
/// </summary>
public static class LedgerSealCheck
{
    public static async Task<IReadOnlyList<BundleCheck>> CheckAsync(
        string exportPath, string bundleDigest, KeyringEntry? signingKey, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        var keySubject = signingKey is null ? null : $"{signingKey.KeyId}#{signingKey.Version}";
        LedgerRecord? seal = null;
        LedgerRecord? keyArchived = null;
        try
        {
            await foreach (var record in CandidatesAsync(exportPath, [bundleDigest, keySubject], cancellationToken))
            {
                if (record.Kind == EvidenceSealer.LedgerKind && (string?)record.Data?["bundleDigest"] == bundleDigest)
                {
                    seal ??= record;
                }
                else if (record.Kind == KeyringStore.LedgerKind && record.Subject == keySubject)
                {
                    keyArchived ??= record;
                }
            }
        }
        catch (IOException e)
        {
            return [new BundleCheck("ledger", false, e.Message)];
        }

        var checks = new List<BundleCheck>
        {
            seal is null
                ? new BundleCheck("ledger", false, $"no {EvidenceSealer.LedgerKind} record for bundle {bundleDigest} in {exportPath}")
                : await IncludedAsync(exportPath, seal, pinnedKey, cancellationToken),
        };

        if (signingKey is not null)
        {
            if (keyArchived is null)
            {
                checks.Add(new BundleCheck("ledger", false, $"no {KeyringStore.LedgerKind} record for signing key {keySubject} in {exportPath}"));
            }
            else if ((string?)keyArchived.Data?["fingerprint"] != signingKey.Fingerprint())
            {
                checks.Add(new BundleCheck(Target(keyArchived), false,
                    $"the ledger archived key {keySubject} with fingerprint {(string?)keyArchived.Data?["fingerprint"] ?? "none"}, the keyring has {signingKey.Fingerprint()}"));
            }
            else
            {
                checks.Add(await IncludedAsync(exportPath, keyArchived, pinnedKey, cancellationToken));
            }
        }

        return checks;
    }

    private static async Task<BundleCheck> IncludedAsync(string exportPath, LedgerRecord record, CheckpointKey? pinnedKey, CancellationToken cancellationToken)
    {
        var inclusion = await LedgerExportFiles.VerifyInclusionAsync(exportPath, record, pinnedKey, cancellationToken);
        return inclusion.Ok
            ? new BundleCheck(Target(record), true, $"included in the signed tree of size {inclusion.Proof!.TreeSize}")
            : new BundleCheck(Target(record), false, inclusion.Failure ?? "not included");
    }

    private static string Target(LedgerRecord record) => $"ledger record seq {record.Seq} ({record.Kind})";

    /// <summary>Streams the JSONL export; only lines mentioning one of <paramref name="needles"/> are parsed.</summary>
    private static async IAsyncEnumerable<LedgerRecord> CandidatesAsync(
        string exportPath, string?[] needles, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(exportPath, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!needles.Any(n => n is not null && line.Contains(n, StringComparison.Ordinal)))
            {
                continue;
            }

            LedgerRecord record;
            try
            {
                record = LedgerRecordFormat.Parse(Encoding.UTF8.GetBytes(line));
            }
            catch (LedgerFormatException)
            {
                continue; // the inclusion check verifies the whole export and names malformed records
            }

            yield return record;
        }
    }
}
