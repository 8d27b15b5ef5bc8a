using System.Security.Cryptography;

namespace Panaptico.Core.Evidence;

/// <summary>
/// The standalone-mode signer: an ECDSA P-256 key held in process, from a PEM in configuration or generated
/// (the caller persists <see cref="ExportPrivateKeyPem"/> into the dev workspace). Its version is derived from the
/// public key, so one key always has one version and a new key is a new version.
/// </summary>
public sealed class LocalEcdsaSigner : IBundleSigner, IDisposable
{
    private readonly ECDsa _key;
    private readonly SigningKey _signingKey;

    private LocalEcdsaSigner(string keyId, ECDsa key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        if (key.KeySize != 256 || key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            throw new ArgumentException("the bundle signing key must be ECDSA P-256", nameof(key));
        }

        _key = key;
        KeyId = keyId;
        _signingKey = new SigningKey(keyId, VersionOf(key), key.ExportSubjectPublicKeyInfoPem(), CreatedAt: null);
    }

    public string KeyId { get; }

    public string KeyVersion => _signingKey.Version;

    /// <summary>Loads a PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") PEM.</summary>
    public static LocalEcdsaSigner FromPem(string keyId, string privateKeyPem)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(privateKeyPem);
        }
        catch (ArgumentException e)
        {
            key.Dispose();
            throw new ArgumentException("the signing key PEM holds no ECDSA private key", nameof(privateKeyPem), e);
        }

        return new LocalEcdsaSigner(keyId, key);
    }

    public static LocalEcdsaSigner Generate(string keyId) => new(keyId, ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>PKCS#8 PEM, for the dev workspace; it is a secret and never goes to logs or the ledger.</summary>
    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    public Task<SigningKey> CurrentKeyAsync(CancellationToken cancellationToken) => Task.FromResult(_signingKey);

    public Task<BundleSignature> SignAsync(byte[] pae, CancellationToken cancellationToken)
    {
        var signature = _key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return Task.FromResult(new BundleSignature(signature, _signingKey.Version));
    }

    public void Dispose() => _key.Dispose();

    /// <summary>First 16 bytes of SHA-256 over the SubjectPublicKeyInfo, as 32 hex digits (the length of a Key Vault version).</summary>
    public static string VersionOf(ECDsa key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 16));
}
