using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Evidence;
using Panaptico.Core.Ledger;

namespace Panaptico.Storage.Evidence;

/// <summary>
/// The keyring in Table storage: one row per key version (partition = key id, row = version), added with a conditional
/// insert and never updated or deleted. Archiving a new version is also a ledger record.
/// </summary>
public sealed class KeyringStore(TableClient table, TimeProvider time, ILedgerAppender ledger)
{
    public const string LedgerStream = "keyring";
    public const string LedgerKind = "key.archived";

    public TableClient Table => table;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        await table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>Archives a signing key version; archiving it again returns the entry already there.</summary>
    /// <exception cref="KeyringConflictException">That version is archived with a different public key.</exception>
    public async Task<KeyringEntry> ArchiveAsync(SigningKey key, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entry = new KeyringEntry(key.KeyId, key.Version, key.PublicKeyPem, key.CreatedAt ?? time.GetUtcNow());
        entry.ImportPublicKey().Dispose(); // refuse a key that verification could never use

        try
        {
            await table.AddEntityAsync(ToEntity(entry), cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await FindAsync(entry.KeyId, entry.Version, cancellationToken)
                ?? throw new InvalidOperationException($"key {entry.KeyId}#{entry.Version} conflicts but cannot be read", e);
            return existing.SameKeyAs(entry) ? existing : throw new KeyringConflictException(entry.KeyId, entry.Version);
        }

        await ledger.AppendAsync(
            new LedgerEntry(LedgerStream, LedgerKind, $"{entry.KeyId}#{entry.Version}", actor, new JsonObject
            {
                ["keyId"] = entry.KeyId,
                ["version"] = entry.Version,
                ["fingerprint"] = entry.Fingerprint(),
                ["createdAt"] = entry.CreatedAt.UtcDateTime.ToString("O"),
            }),
            cancellationToken);
        return entry;
    }

    public async Task<KeyringEntry?> FindAsync(string keyId, string version, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Key(keyId), Key(version), cancellationToken: cancellationToken);
        return row.HasValue ? FromEntity(row.Value!) : null;
    }

    /// <summary>The whole keyring, oldest first: what an offline bundle carries.</summary>
    public async Task<Keyring> LoadAsync(CancellationToken cancellationToken)
    {
        var entries = new List<KeyringEntry>();
        await foreach (var row in table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            entries.Add(FromEntity(row));
        }

        return new Keyring([.. entries.OrderBy(e => e.CreatedAt).ThenBy(e => e.KeyId, StringComparer.Ordinal).ThenBy(e => e.Version, StringComparer.Ordinal)]);
    }

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
