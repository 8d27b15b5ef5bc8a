using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Storage.Evidence;

/// <summary>
/// The keyring in Table storage: one row per key version (partition = key id, row = version), added with a conditional
/// insert and never deleted. Archiving a new version is also exactly one <c>key.archived</c> ledger record.
/// </summary>
/// <remarks>
/// The row is added first, unrecorded and claimed by the caller, with the ledger size seen before it (<c>LedgerFrom</c>);
/// the claimant appends the record, then marks the row recorded (<c>LedgerSeq</c>). A failed append releases the claim,
/// and a claim older than <see cref="ClaimLease"/> counts as a crashed claimant. Whoever takes an unrecorded row over
/// (by its ETag, so only one does) first looks for the record in the ledger from <c>LedgerFrom</c> on, since a failed
/// append may still have committed, and appends only if it is missing. Callers that find a live claim wait for it.
/// Rows written before the marker existed count as recorded.
/// </remarks>
public sealed class KeyringStore
{
    public const string LedgerStream = "keyring";
    public const string LedgerKind = "key.archived";

    /// <summary>How long a claim on an unrecorded row holds before others treat its claimant as gone.</summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan ClaimPoll = TimeSpan.FromMilliseconds(100);

    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly ILedgerAppender _ledger;
    private readonly TableLedger? _ledgerReader;

    /// <param name="ledgerReader">
    /// Where a retry looks for a record an earlier, failed append may have committed; defaults to
    /// <paramref name="ledger"/> when that is a <see cref="TableLedger"/>. Without one, a retry appends again.
    /// </param>
    public KeyringStore(TableClient table, TimeProvider time, ILedgerAppender ledger, TableLedger? ledgerReader = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(ledger);
        _table = table;
        _time = time;
        _ledger = ledger;
        _ledgerReader = ledgerReader ?? ledger as TableLedger;
    }

    public TableClient Table => _table;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await _table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>
    /// Archives a signing key version and records it in the ledger exactly once; archiving it again returns the entry
    /// already there, after recording it if an earlier attempt could not.
    /// </summary>
    /// <exception cref="KeyringConflictException">That version is archived with a different public key.</exception>
    public async Task<KeyringEntry> ArchiveAsync(SigningKey key, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entry = new KeyringEntry(key.KeyId, key.Version, key.PublicKeyPem, key.CreatedAt ?? _time.GetUtcNow());
        entry.ImportPublicKey().Dispose(); // refuse a key that verification could never use

        var claim = Guid.NewGuid().ToString("N")[..12];
        var ledgerFrom = _ledgerReader is null ? 0 : (await _ledgerReader.ReadHeadAsync(cancellationToken)).Size;
        var row = ToEntity(entry);
        row[ClaimColumn] = claim;
        row[ClaimedAtColumn] = _time.GetUtcNow();
        row[LedgerFromColumn] = ledgerFrom;
        ETag etag;
        try
        {
            etag = (await _table.AddEntityAsync(row, cancellationToken)).Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return await ArchivedAlreadyAsync(entry, actor, cancellationToken);
        }

        await RecordAsync(entry, actor, ledgerFrom, etag, lookFirst: false, cancellationToken);
        return entry;
    }

    /// <summary>The row exists: make sure it is recorded, waiting for a live claimant or taking over from a gone one.</summary>
    private async Task<KeyringEntry> ArchivedAlreadyAsync(KeyringEntry entry, string actor, CancellationToken cancellationToken)
    {
        var maxPolls = (int)(ClaimLease / ClaimPoll); // a wall-clock bound too, in case the clock given does not move
        for (var polls = 0; ; polls++)
        {
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(Key(entry.KeyId), Key(entry.Version), cancellationToken: cancellationToken);
            var row = response.HasValue ? response.Value! : throw new InvalidOperationException($"key {entry.KeyId}#{entry.Version} conflicts but cannot be read");
            var existing = FromEntity(row);
            if (!existing.SameKeyAs(entry))
            {
                throw new KeyringConflictException(entry.KeyId, entry.Version);
            }

            if (row.GetInt64(LedgerFromColumn) is not { } ledgerFrom || row.GetInt64(LedgerSeqColumn) is not null)
            {
                return existing;
            }

            var claimedAt = row.GetDateTimeOffset(ClaimedAtColumn) ?? DateTimeOffset.MinValue;
            var claimLive = !string.IsNullOrEmpty(row.GetString(ClaimColumn)) && _time.GetUtcNow() - claimedAt < ClaimLease;
            if (claimLive && polls < maxPolls)
            {
                await Task.Delay(ClaimPoll, cancellationToken);
                continue;
            }

            ETag etag;
            try
            {
                var taken = new TableEntity(row.PartitionKey, row.RowKey)
                {
                    [ClaimColumn] = Guid.NewGuid().ToString("N")[..12],
                    [ClaimedAtColumn] = _time.GetUtcNow(),
                };
                etag = (await _table.UpdateEntityAsync(taken, row.ETag, TableUpdateMode.Merge, cancellationToken)).Headers.ETag ?? default;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                continue; // someone else took it over or recorded it: look again
            }

            await RecordAsync(existing, actor, ledgerFrom, etag, lookFirst: true, cancellationToken);
            return existing;
        }
    }

    /// <summary>Holding the claim (<paramref name="etag"/>): append the record unless it is there, then mark the row.</summary>
    private async Task RecordAsync(KeyringEntry entry, string actor, long ledgerFrom, ETag etag, bool lookFirst, CancellationToken cancellationToken)
    {
        var subject = Subject(entry);
        var seq = lookFirst ? await FindRecordAsync(subject, ledgerFrom, cancellationToken) : null;
        if (seq is null)
        {
            try
            {
                var record = await _ledger.AppendAsync(
                    new LedgerEntry(LedgerStream, LedgerKind, subject, actor, new JsonObject
                    {
                        ["keyId"] = entry.KeyId,
                        ["version"] = entry.Version,
                        ["fingerprint"] = entry.Fingerprint(),
                        ["createdAt"] = entry.CreatedAt.UtcDateTime.ToString("O"),
                    }),
                    cancellationToken);
                seq = record.Seq;
            }
            catch
            {
                await ReleaseAsync(entry, etag);
                throw;
            }
        }

        try
        {
            var recorded = new TableEntity(Key(entry.KeyId), Key(entry.Version)) { [ClaimColumn] = "", [LedgerSeqColumn] = seq.Value };
            await _table.UpdateEntityAsync(recorded, etag, TableUpdateMode.Merge, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Our claim outlived its lease and another caller took over; it will find our record in the ledger.
        }
    }

    /// <summary>Lets the next caller retry at once instead of waiting out the lease; best effort.</summary>
    private async Task ReleaseAsync(KeyringEntry entry, ETag etag)
    {
        try
        {
            var released = new TableEntity(Key(entry.KeyId), Key(entry.Version)) { [ClaimColumn] = "" };
            await _table.UpdateEntityAsync(released, etag, TableUpdateMode.Merge, CancellationToken.None);
        }
        catch (RequestFailedException)
        {
            // The claim lapses with its lease instead.
        }
    }

    private async Task<long?> FindRecordAsync(string subject, long ledgerFrom, CancellationToken cancellationToken)
    {
        if (_ledgerReader is null)
        {
            return null;
        }

        var head = await _ledgerReader.ReadHeadAsync(cancellationToken);
        await foreach (var record in _ledgerReader.ReadRangeAsync(ledgerFrom, head.Size - 1, cancellationToken))
        {
            if (record.Stream == LedgerStream && record.Kind == LedgerKind && record.Subject == subject)
            {
                return record.Seq;
            }
        }

        return null;
    }

    public async Task<KeyringEntry?> FindAsync(string keyId, string version, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Key(keyId), Key(version), cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>The whole keyring, oldest first: what an offline bundle carries.</summary>
    public async Task<Keyring> LoadAsync(CancellationToken cancellationToken)
    {
        var entries = new List<KeyringEntry>();
        await foreach (var row in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            entries.Add(FromEntity(row));
        }

        return new Keyring([.. entries.OrderBy(e => e.CreatedAt).ThenBy(e => e.KeyId, StringComparer.Ordinal).ThenBy(e => e.Version, StringComparer.Ordinal)]);
    }

    private const string ClaimColumn = "Claim";
    private const string ClaimedAtColumn = "ClaimedAt";
    private const string LedgerFromColumn = "LedgerFrom";
    private const string LedgerSeqColumn = "LedgerSeq";

    private static string Subject(KeyringEntry entry) => $"{entry.KeyId}#{entry.Version}";

    // Key Vault key ids are URLs; '/', '#' and '?' are not allowed in table keys, so keys are percent-encoded.
    private static string Key(string value) => Uri.EscapeDataString(value);

    private static TableEntity ToEntity(KeyringEntry entry) => new(Key(entry.KeyId), Key(entry.Version))
    {
        ["KeyId"] = entry.KeyId,
        ["Version"] = entry.Version,
        ["PublicKeyPem"] = entry.PublicKeyPem,
        ["CreatedAt"] = entry.CreatedAt,
    };

    private static KeyringEntry FromEntity(TableEntity row) => new(
        row.GetString("KeyId"), row.GetString("Version"), row.GetString("PublicKeyPem"), row.GetDateTimeOffset("CreatedAt")!.Value);
}
