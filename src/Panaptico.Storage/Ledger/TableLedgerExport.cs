using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Ledger;

/// <summary>The quarterly audit export: a seq or time range of the table ledger, written with its signed tree head.</summary>
public static class TableLedgerExport
{
    /// <summary>Exports records with <c>from &lt;= at &lt; to</c>; null when the range holds no record.</summary>
    public static async Task<LedgerExportMetadata?> ExportTimeRangeAsync(
        TableLedger ledger, DateTimeOffset? from, DateTimeOffset? to, LedgerExportFormat format, string path,
        ICheckpointSigner signer, CheckpointKey verifierKey, string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var range = await ledger.FindSeqRangeAsync(from, to, cancellationToken);
        return range is { } r
            ? await ExportSeqRangeAsync(ledger, r.First, r.Last, format, path, signer, verifierKey, origin, (from, to), cancellationToken)
            : null;
    }

    /// <summary>Exports records seq <paramref name="first"/>..<paramref name="last"/> (inclusive).</summary>
    public static async Task<LedgerExportMetadata> ExportSeqRangeAsync(
        TableLedger ledger, long first, long last, LedgerExportFormat format, string path,
        ICheckpointSigner signer, CheckpointKey verifierKey, string origin,
        (DateTimeOffset? From, DateTimeOffset? To) window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        var (prefix, prevHash) = await ledger.ReadTreeAtAsync(first, cancellationToken);
        return await LedgerExportFiles.WriteAsync(path, format, prefix, prevHash, ledger.ReadCanonicalAsync(first, last, cancellationToken),
            signer, verifierKey, origin, window, cancellationToken);
    }
}
