using System.Security.Cryptography;
using System.Text.Json;

namespace Panaptico.Core.Evidence;

/// <summary>One archived signing key version. Entries are appended, never changed.</summary>
/// <param name="PublicKeyPem">SubjectPublicKeyInfo PEM ("PUBLIC KEY").</param>
public sealed record KeyringEntry(string KeyId, string Version, string PublicKeyPem, DateTimeOffset CreatedAt)
{
    /// <summary>SHA-256 of the DER SubjectPublicKeyInfo, so an auditor can compare keyrings by eye.</summary>
    public string Fingerprint()
    {
        using var key = ImportPublicKey();
        return Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    /// <exception cref="CryptographicException">The PEM is not an ECDSA P-256 public key.</exception>
    public ECDsa ImportPublicKey()
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(PublicKeyPem);
            if (key.KeySize != 256)
            {
                throw new CryptographicException($"key {KeyId}#{Version} is not P-256");
            }

            return key;
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new CryptographicException($"key {KeyId}#{Version} has no readable public key", e);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Whether this entry and <paramref name="other"/> name the same version with the same public key.</summary>
    public bool SameKeyAs(KeyringEntry other) =>
        KeyId == other.KeyId && Version == other.Version && Fingerprint() == other.Fingerprint();
}

/// <summary>
/// Every signing key version's public key, in the order archived. Verification looks up the exact version a bundle
/// names, so it needs neither Key Vault nor the network, even after the key has been rotated.
/// </summary>
public sealed record Keyring(IReadOnlyList<KeyringEntry> Keys)
{
    public static Keyring Empty { get; } = new([]);

    public KeyringEntry? Find(string keyId, string version) =>
        Keys.FirstOrDefault(k => k.KeyId == keyId && k.Version == version);

    /// <summary>Adds a version; re-adding the same public key is a no-op, a different key under the same version is refused.</summary>
    /// <exception cref="KeyringConflictException">The version is already archived with another public key.</exception>
    public Keyring Append(KeyringEntry entry)
    {
        var existing = Find(entry.KeyId, entry.Version);
        if (existing is null)
        {
            return new Keyring([.. Keys, entry]);
        }

        return existing.SameKeyAs(entry) ? this : throw new KeyringConflictException(entry.KeyId, entry.Version);
    }

    public string ToJson() => JsonSerializer.Serialize(this, ManifestJson.Options);

    /// <exception cref="FormatException">The text is not a keyring.</exception>
    public static Keyring Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Keyring>(json, ManifestJson.Options) ?? throw new FormatException("the keyring is null");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a keyring: {e.Message}", e);
        }
    }
}

public sealed class KeyringConflictException(string keyId, string version)
    : Exception($"key {keyId}#{version} is already archived with a different public key; the keyring is append-only")
{
    public string KeyId { get; } = keyId;
    public string Version { get; } = version;
}
