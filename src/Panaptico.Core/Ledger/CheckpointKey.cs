using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Panaptico.Core.Ledger;

/// <summary>
/// The public half of a checkpoint signer: a note key name and an ECDSA P-256 public key (SPKI DER).
/// Key id and verifier-key text follow C2SP signed-note type 0x02 (key id = SHA-256(SPKI)[:4]).
/// </summary>
public sealed class CheckpointKey
{
    public const byte SignatureType = 0x02;

    private readonly byte[] _subjectPublicKeyInfo;

    public CheckpointKey(string name, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        if (string.IsNullOrEmpty(name) || name.Any(c => c == '+' || char.IsWhiteSpace(c)))
        {
            throw new ArgumentException("A note key name is non-empty, without spaces or '+'.", nameof(name));
        }

        using (var probe = ECDsa.Create())
        {
            probe.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            if (probe.KeySize != 256)
            {
                throw new ArgumentException("Checkpoint keys are ECDSA P-256.", nameof(subjectPublicKeyInfo));
            }
        }

        Name = name;
        _subjectPublicKeyInfo = subjectPublicKeyInfo.ToArray();
        KeyId = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(_subjectPublicKeyInfo));
    }

    public string Name { get; }

    public uint KeyId { get; }

    public ReadOnlySpan<byte> SubjectPublicKeyInfo => _subjectPublicKeyInfo;

    public static CheckpointKey FromPublicKey(string name, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new CheckpointKey(name, key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Verifier key text: <c>name+keyid(hex)+base64(0x02 || SPKI)</c>, as note verifier keys are written.</summary>
    public string ToVerifierKey() =>
        $"{Name}+{KeyId:x8}+{Convert.ToBase64String([SignatureType, .. _subjectPublicKeyInfo])}";

    /// <exception cref="FormatException">Not a type-0x02 verifier key, or its id does not match its key.</exception>
    public static CheckpointKey ParseVerifierKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('+', 3);
        if (parts.Length != 3)
        {
            throw new FormatException("a verifier key is name+keyid+base64(type||key)");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            throw new FormatException("verifier key material is not base64");
        }

        if (blob.Length < 2 || blob[0] != SignatureType)
        {
            throw new FormatException("verifier key is not an ECDSA (type 0x02) key");
        }

        CheckpointKey key;
        try
        {
            key = new CheckpointKey(parts[0], blob.AsSpan(1));
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            throw new FormatException($"verifier key is not a P-256 public key ({ex.Message})");
        }

        return key.KeyId.ToString("x8") == parts[1].ToLowerInvariant()
            ? key
            : throw new FormatException("verifier key id does not match its public key");
    }

    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> derSignature)
    {
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(_subjectPublicKeyInfo, out _);
        try
        {
            return ecdsa.VerifyData(message, derSignature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
