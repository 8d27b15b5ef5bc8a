using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Evidence;

/// <summary>
/// The keyring in Table storage: one row per key version (partition = key id, row = version), added with a conditional
/// insert and never deleted. Archiving a new version is also exactly one <c>key.archived</c> ledger record.
/// </summary>
/// <remarks>
/// The record carries the entry id <c>keyring/&lt;key id&gt;#&lt;version&gt;</c>, so the ledger holds it once however
/// often, and wherever, archiving is retried. The row is added unrecorded and marked recorded after the append; the
/// mark only spares later archives an append, so an archive that finds the row unrecorded (its archiver failed, stopped
/// or is still at it) appends too. Rows written before the mark existed count as recorded.
/// </remarks>
public sealed class KeyringStore
{
    public const string LedgerStream = "keyring";
    public const string LedgerKind = "key.archived";

    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private readonly ILedgerAppender _ledger;

    public KeyringStore(TableClient table, TimeProvider time, ILedgerAppender ledger)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(ledger);
        _table = table;
        _time = time;
        _ledger = ledger;
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

        var row = ToEntity(entry);
        row[RecordedColumn] = false;
        try
        {
            await _table.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var stored = (await _table.GetEntityAsync<TableEntity>(Key(entry.KeyId), Key(entry.Version), cancellationToken: cancellationToken)).Value;
            var existing = FromEntity(stored);
            if (!existing.SameKeyAs(entry))
            {
                throw new KeyringConflictException(entry.KeyId, entry.Version);
            }

            if (stored.GetBoolean(RecordedColumn) is not false)
            {
                return existing;
            }

            entry = existing;
        }

        var data = new JsonObject
        {
            ["keyId"] = entry.KeyId,
            ["version"] = entry.Version,
            ["fingerprint"] = entry.Fingerprint(),
            ["createdAt"] = entry.CreatedAt.UtcDateTime.ToString("O"),
        };
        var record = await _ledger.AppendAsync(
            new LedgerEntry(LedgerStream, LedgerKind, Subject(entry), actor, data) { EntryId = $"{LedgerStream}/{Subject(entry)}" },
            cancellationToken);
        var recorded = new TableEntity(Key(entry.KeyId), Key(entry.Version)) { [RecordedColumn] = true, [LedgerSeqColumn] = record.Seq };
        await _table.UpdateEntityAsync(recorded, ETag.All, TableUpdateMode.Merge, cancellationToken);
        return entry;
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

    private const string RecordedColumn = "Recorded";
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
