using System.Globalization;
using System.Text;

namespace Panaptico.Core.Ledger;

/// <summary>
/// A tree head in the C2SP tlog-checkpoint form: origin line, tree size, base64 root hash, each ending in a newline.
/// This text is the signed-note body that checkpoint signers sign.
/// </summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    public string Body => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(RootHash)}\n";

    public static Checkpoint For(string origin, MerkleFrontier tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return new Checkpoint(origin, tree.Size, tree.Root());
    }

    /// <summary>Parses a checkpoint body (extension lines after the root are allowed and ignored).</summary>
    /// <exception cref="FormatException">The body is not a checkpoint.</exception>
    public static Checkpoint ParseBody(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var lines = body.Split('\n');
        if (lines.Length < 4 || lines[^1].Length != 0 || lines[0].Length == 0)
        {
            throw new FormatException("a checkpoint body is an origin line, a tree size line and a root hash line");
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || size.ToString(CultureInfo.InvariantCulture) != lines[1])
        {
            throw new FormatException($"tree size '{lines[1]}' is not a decimal number without leading zeros");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            throw new FormatException("root hash line is not base64");
        }

        return root.Length == MerkleHash.Size ? new Checkpoint(lines[0], size, root) : throw new FormatException("root hash is not 32 bytes");
    }

    public bool Matches(long size, ReadOnlySpan<byte> root) => Size == size && RootHash.AsSpan().SequenceEqual(root);
}

/// <summary>One signature line of a signed note: <c>— name base64(keyId || signature)</c>.</summary>
public sealed record NoteSignature(string KeyName, uint KeyId, byte[] Signature)
{
    public string Line
    {
        get
        {
            var blob = new byte[4 + Signature.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(blob, KeyId);
            Signature.CopyTo(blob, 4);
            return $"\u2014 {KeyName} {Convert.ToBase64String(blob)}\n";
        }
    }
}

/// <summary>A checkpoint with its signature lines: the C2SP signed-note text an auditor keeps beside an export.</summary>
public sealed record SignedCheckpoint(Checkpoint Checkpoint, IReadOnlyList<NoteSignature> Signatures)
{
    public static async Task<SignedCheckpoint> SignAsync(Checkpoint checkpoint, ICheckpointSigner signer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(signer);
        var signature = await signer.SignAsync(Encoding.UTF8.GetBytes(checkpoint.Body), cancellationToken);
        return new SignedCheckpoint(checkpoint, [signature]);
    }

    /// <summary>The note text: body, blank line, signature lines.</summary>
    public string Format() => Checkpoint.Body + "\n" + string.Concat(Signatures.Select(s => s.Line));

    /// <exception cref="FormatException">The text is not a signed checkpoint.</exception>
    public static SignedCheckpoint Parse(string note)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.AsSpan().ContainsAnyInRange('\0', '\u0009') || note.AsSpan().ContainsAnyInRange('\u000b', '\u001f'))
        {
            throw new FormatException("a signed note contains no control characters other than newline");
        }

        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n'))
        {
            throw new FormatException("a signed note is text, a blank line, then signature lines");
        }

        var checkpoint = Checkpoint.ParseBody(note[..(split + 1)]);
        var signatures = new List<NoteSignature>();
        foreach (var line in note[(split + 2)..^1].Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "\u2014" || parts[1].Length == 0)
            {
                throw new FormatException($"'{line}' is not a signature line (— name base64)");
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(parts[2]);
            }
            catch (FormatException)
            {
                throw new FormatException($"signature of '{parts[1]}' is not base64");
            }

            if (blob.Length < 5)
            {
                throw new FormatException($"signature of '{parts[1]}' is too short");
            }

            signatures.Add(new NoteSignature(parts[1], System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(blob), blob[4..]));
        }

        return new SignedCheckpoint(checkpoint, signatures);
    }

    /// <summary>True when a signature by <paramref name="key"/> (same name and key id) verifies over the body.</summary>
    public bool IsSignedBy(CheckpointKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var body = Encoding.UTF8.GetBytes(Checkpoint.Body);
        var mine = Signatures.Where(s => s.KeyName == key.Name && s.KeyId == key.KeyId).ToList();
        return mine.Count > 0 && mine.All(s => key.Verify(body, s.Signature));
    }
}
