using System.Security.Cryptography;
using System.Text;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Tests.Ledger;

public sealed class CheckpointTests
{
    private static readonly byte[] s_root = SHA256.HashData("root"u8);

    [Fact]
    public async Task A_signed_checkpoint_is_a_C2SP_signed_note_that_parses_back_and_verifies()
    {
        var signer = EcdsaCheckpointSigner.Generate("panaptico.example/ledger");

        var signed = await SignedCheckpoint.SignAsync(new Checkpoint("panaptico.example/ledger", 42, s_root), signer, default);
        var text = signed.Format();
        var parsed = SignedCheckpoint.Parse(text);

        var lines = text.Split('\n');
        Assert.Equal("panaptico.example/ledger", lines[0]);
        Assert.Equal("42", lines[1]);
        Assert.Equal(Convert.ToBase64String(s_root), lines[2]);
        Assert.Equal("", lines[3]);
        Assert.StartsWith("\u2014 panaptico.example/ledger ", lines[4], StringComparison.Ordinal);
        var blob = Convert.FromBase64String(lines[4].Split(' ')[2]);
        Assert.Equal(SHA256.HashData(signer.PublicKey.SubjectPublicKeyInfo)[..4], blob[..4]);
        Assert.True(parsed.IsSignedBy(signer.PublicKey));
        Assert.Equal(42, parsed.Checkpoint.Size);
    }

    [Fact]
    public async Task A_checkpoint_with_an_edited_size_or_root_no_longer_verifies()
    {
        var signer = EcdsaCheckpointSigner.Generate("log");
        var text = (await SignedCheckpoint.SignAsync(new Checkpoint("log", 42, s_root), signer, default)).Format();

        var resized = SignedCheckpoint.Parse(text.Replace("\n42\n", "\n43\n", StringComparison.Ordinal));
        var rerooted = SignedCheckpoint.Parse(text.Replace(Convert.ToBase64String(s_root), Convert.ToBase64String(SHA256.HashData("x"u8)), StringComparison.Ordinal));

        Assert.False(resized.IsSignedBy(signer.PublicKey));
        Assert.False(rerooted.IsSignedBy(signer.PublicKey));
    }

    [Fact]
    public async Task A_checkpoint_signed_by_another_key_of_the_same_name_does_not_verify()
    {
        var signer = EcdsaCheckpointSigner.Generate("log");
        var impostor = EcdsaCheckpointSigner.Generate("log");

        var signed = await SignedCheckpoint.SignAsync(new Checkpoint("log", 1, s_root), impostor, default);

        Assert.False(signed.IsSignedBy(signer.PublicKey));
    }

    [Fact]
    public void The_verifier_key_text_round_trips_and_rejects_a_wrong_key_id()
    {
        var key = EcdsaCheckpointSigner.Generate("panaptico.example/ledger").PublicKey;

        var text = key.ToVerifierKey();
        var parsed = CheckpointKey.ParseVerifierKey(text);
        var parts = text.Split('+', 3);

        Assert.Equal(key.KeyId, parsed.KeyId);
        Assert.Equal(key.SubjectPublicKeyInfo.ToArray(), parsed.SubjectPublicKeyInfo.ToArray());
        Assert.Throws<FormatException>(() => CheckpointKey.ParseVerifierKey($"{parts[0]}+00000000+{parts[2]}"));
    }

    [Fact]
    public void Signature_verification_is_over_the_note_body_with_SHA256_ECDSA_DER()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = CheckpointKey.FromPublicKey("log", ecdsa);
        var body = Encoding.UTF8.GetBytes(new Checkpoint("log", 7, s_root).Body);

        var der = ecdsa.SignData(body, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        Assert.True(key.Verify(body, der));
        Assert.False(key.Verify(body.AsSpan(1), der));
    }

    [Theory]
    [InlineData("log\n42\nnot-base64!\n\n\u2014 log AAAAAAA=\n")]
    [InlineData("log\n042\nAAAA\n\n\u2014 log AAAAAAA=\n")]
    [InlineData("log\n42\n" + "q83vEjRWeJC2Q+vN7xI0VniQtkPrze8SNFZ4kLZD6s0=\n")]
    public void Malformed_checkpoints_are_rejected(string note)
    {
        Assert.Throws<FormatException>(() => SignedCheckpoint.Parse(note));
    }
}
