namespace Panaptico.Core.Evidence;

/// <summary>
/// Signs the DSSE pre-authentication encoding of a bundle with ECDSA P-256 over SHA-256.
/// Implemented locally (<see cref="LocalEcdsaSigner"/>) and by Key Vault's <c>sign</c> operation.
/// </summary>
public interface IBundleSigner
{
    /// <summary>The key's stable name, without version (e.g. a Key Vault key URL without version, or "local/dev").</summary>
    string KeyId { get; }

    /// <summary>
    /// The key version that signs now and its public key, so the manifest can name it and the keyring can archive it
    /// before anything is signed.
    /// </summary>
    Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken);

    /// <summary>Signs <paramref name="pae"/>; the signature is raw r||s (IEEE P1363), 64 bytes.</summary>
    Task<BundleSignature> SignAsync(byte[] pae, CancellationToken cancellationToken);
}

/// <param name="Signature">r||s, 64 bytes.</param>
/// <param name="KeyVersion">The exact key version that made the signature.</param>
public sealed record BundleSignature(byte[] Signature, string KeyVersion);

/// <summary>One version of a signing key and its public key (SubjectPublicKeyInfo, PEM).</summary>
/// <param name="CreatedAt">When the key version was created, if the key's store knows; otherwise the keyring records when it archived it.</param>
public sealed record SigningKey(string KeyId, string Version, string PublicKeyPem, DateTimeOffset? CreatedAt);
