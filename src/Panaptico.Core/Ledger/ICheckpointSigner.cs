namespace Panaptico.Core.Ledger;

/// <summary>
/// Signs checkpoint bodies. Implementations: <see cref="EcdsaCheckpointSigner"/> (local key) or a Key Vault signer.
/// Signatures are C2SP signed-note type 0x02: ECDSA P-256 over SHA-256 of the body, ASN.1 DER encoded.
/// </summary>
public interface ICheckpointSigner
{
    /// <summary>The note key name (no spaces or '+'), e.g. "panaptico.example/ledger".</summary>
    string KeyName { get; }

    Task<NoteSignature> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken);
}
