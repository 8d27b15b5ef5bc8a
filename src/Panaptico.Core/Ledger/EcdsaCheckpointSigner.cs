using System.Security.Cryptography;

namespace Panaptico.Core.Ledger;

/// <summary>Signs checkpoints with a local ECDSA P-256 key (standalone mode, tests, benchmarks).</summary>
public sealed class EcdsaCheckpointSigner : ICheckpointSigner
{
    private readonly ECDsa _key;

    public EcdsaCheckpointSigner(string keyName, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        PublicKey = CheckpointKey.FromPublicKey(keyName, key);
        _key = key;
    }

    public string KeyName => PublicKey.Name;

    public CheckpointKey PublicKey { get; }

    /// <summary>A signer over a key from a PKCS#8 or SEC1 PEM text.</summary>
    public static EcdsaCheckpointSigner FromPem(string keyName, string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return new EcdsaCheckpointSigner(keyName, key);
    }

    public static EcdsaCheckpointSigner Generate(string keyName) =>
        new(keyName, ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public string ExportPrivateKeyPem() => _key.ExportPkcs8PrivateKeyPem();

    public Task<NoteSignature> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var signature = _key.SignData(message.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return Task.FromResult(new NoteSignature(KeyName, PublicKey.KeyId, signature));
    }
}
