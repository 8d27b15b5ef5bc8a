using System.Text;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Ledger;

/// <summary>
/// A self-contained inclusion proof: the record's canonical JSON, its audit path and the signed checkpoint it is
/// proven against. Verifies offline with only the log's public key; this is what goes beside a sealed bundle.
/// </summary>
public sealed record LedgerInclusionProof(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("treeSize")] long TreeSize,
    [property: JsonPropertyName("record")] string Record,
    [property: JsonPropertyName("path")] IReadOnlyList<string> Path,
    [property: JsonPropertyName("checkpoint")] string Checkpoint)
{
    /// <summary>Null when the proof holds (and, with <paramref name="key"/>, the checkpoint is signed by it); else why not.</summary>
    public string? Verify(CheckpointKey? key)
    {
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = SignedCheckpoint.Parse(Checkpoint);
        }
        catch (FormatException ex)
        {
            return $"checkpoint: {ex.Message}";
        }

        if (key is not null && !checkpoint.IsSignedBy(key))
        {
            return $"checkpoint: no valid signature by key '{key.Name}' ({key.KeyId:x8})";
        }

        if (checkpoint.Checkpoint.Size != TreeSize)
        {
            return $"checkpoint is for tree size {checkpoint.Checkpoint.Size}, the proof for {TreeSize}";
        }

        var line = Encoding.UTF8.GetBytes(Record);
        var check = LedgerRecordFormat.CheckLine(line, new System.Buffers.ArrayBufferWriter<byte>());
        if (!check.Ok)
        {
            return $"seq {Seq}: {check.Reason}";
        }

        if (check.Seq != Seq)
        {
            return $"seq {Seq}: the record carries seq {check.Seq}";
        }

        byte[][] path;
        try
        {
            path = Path.Select(Convert.FromBase64String).ToArray();
        }
        catch (FormatException)
        {
            return "path: not base64";
        }

        return MerkleProof.VerifyInclusion(Seq, TreeSize, MerkleHash.Leaf(line), path, checkpoint.Checkpoint.RootHash)
            ? null
            : $"seq {Seq}: the record is not included in the tree of size {TreeSize} with this root";
    }

    public LedgerRecord ReadRecord() => LedgerRecordFormat.Parse(Encoding.UTF8.GetBytes(Record));
}

/// <summary>A consistency proof between two tree heads (RFC 9162 §2.1.4): the older ledger is a prefix of the newer.</summary>
public sealed record LedgerConsistencyProof(
    [property: JsonPropertyName("oldSize")] long OldSize,
    [property: JsonPropertyName("oldRoot")] string OldRoot,
    [property: JsonPropertyName("newSize")] long NewSize,
    [property: JsonPropertyName("newRoot")] string NewRoot,
    [property: JsonPropertyName("path")] IReadOnlyList<string> Path)
{
    public bool Verify() =>
        MerkleProof.VerifyConsistency(OldSize, NewSize, Convert.FromBase64String(OldRoot), Convert.FromBase64String(NewRoot),
            Path.Select(Convert.FromBase64String).ToArray());
}
