using Panaptico.Core.Ledger;
using Panaptico.Storage.Ledger;

namespace Panaptico.Functions.Audit;

/// <summary>A consistency proof with the signed checkpoints of both tree heads it joins.</summary>
public sealed record LedgerConsistencyAnswer(LedgerConsistencyProof Proof, SignedCheckpoint Older, SignedCheckpoint Newer);

/// <summary>
/// Signed tree heads, inclusion and consistency proofs and exports straight from the table ledger, without reading it
/// from seq 0.
/// </summary>
/// <remarks>
/// Every node of an RFC 9162 proof is a subtree [a, b) of the tree's recursive split, so b - a never exceeds the
/// lowest set bit of a. Hence the Merkle frontier of the first b - 1 records (which the ledger keeps near every
/// record) splits exactly at a: its subtrees from a on, plus the leaf of record b - 1, hash to the node. A proof
/// therefore costs two small reads per node (about 2·log2 n), whatever the ledger's size. Each proof is verified
/// before it is answered, so storage that disagrees with itself is an error, never a wrong proof.
/// </remarks>
/// <param name="key">The public half of <paramref name="signer"/>'s key, published for auditors.</param>
public sealed class LedgerProver(TableLedger ledger, ICheckpointSigner signer, CheckpointKey key, string origin)
{
    public CheckpointKey Key => key;

    public string Origin => origin;

    public async Task<long> TreeSizeAsync(CancellationToken cancellationToken) => (await ledger.ReadHeadAsync(cancellationToken)).Size;

    /// <summary>Signs the current tree head, keeps it with the ledger's published checkpoints and returns it.</summary>
    public Task<SignedCheckpoint> PublishAsync(CancellationToken cancellationToken) =>
        ledger.PublishCheckpointAsync(signer, origin, cancellationToken);

    /// <summary>A signed checkpoint of the ledger's first <paramref name="size"/> records (an earlier tree head).</summary>
    public async Task<SignedCheckpoint> CheckpointAtAsync(long size, CancellationToken cancellationToken)
    {
        var (tree, _) = await ledger.ReadTreeAtAsync(size, cancellationToken);
        return await SignedCheckpoint.SignAsync(Checkpoint.For(origin, tree), signer, cancellationToken);
    }

    /// <summary>The inclusion proof of record <paramref name="seq"/> against <paramref name="checkpoint"/> (seq &lt; its size).</summary>
    public async Task<LedgerInclusionProof> ProveInclusionAsync(long seq, SignedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var treeSize = checkpoint.Checkpoint.Size;
        var record = RecordAsync(seq, cancellationToken);
        var path = HashesAsync(MerkleProof.InclusionPath(seq, treeSize), cancellationToken);
        var proof = new LedgerInclusionProof(seq, treeSize, await record, [.. (await path).Select(Convert.ToBase64String)], checkpoint.Format());
        return proof.Verify(key) is { } failure
            ? throw new InvalidOperationException($"the ledger's stored tree disagrees with its records: {failure}")
            : proof;
    }

    /// <summary>The consistency proof from the tree head of <paramref name="olderSize"/> to <paramref name="newer"/>.</summary>
    public async Task<LedgerConsistencyAnswer> ProveConsistencyAsync(long olderSize, SignedCheckpoint newer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(newer);
        var older = CheckpointAtAsync(olderSize, cancellationToken);
        var path = HashesAsync(MerkleProof.ConsistencyPath(olderSize, newer.Checkpoint.Size), cancellationToken);
        var proof = new LedgerConsistencyProof(
            olderSize, Convert.ToBase64String((await older).Checkpoint.RootHash),
            newer.Checkpoint.Size, Convert.ToBase64String(newer.Checkpoint.RootHash),
            [.. (await path).Select(Convert.ToBase64String)]);
        return proof.Verify()
            ? new LedgerConsistencyAnswer(proof, await older, newer)
            : throw new InvalidOperationException($"the ledger's stored tree of size {olderSize} is not a prefix of its tree of size {newer.Checkpoint.Size}");
    }

    /// <summary>The export of records <paramref name="first"/>..<paramref name="last"/>, as <c>panaptico ledger export</c> writes it.</summary>
    public Task<LedgerExportMetadata> ExportAsync(
        long first, long last, LedgerExportFormat format, string path, (DateTimeOffset? From, DateTimeOffset? To) window, CancellationToken cancellationToken) =>
        TableLedgerExport.ExportSeqRangeAsync(ledger, first, last, format, path, signer, key, origin, window, cancellationToken);

    private async Task<IReadOnlyList<byte[]>> HashesAsync(IReadOnlyList<LeafRange> ranges, CancellationToken cancellationToken) =>
        await Task.WhenAll(ranges.Select(range => NodeHashAsync(range, cancellationToken)));

    private async Task<byte[]> NodeHashAsync(LeafRange range, CancellationToken cancellationToken)
    {
        var last = range.End - 1;
        var lastLeaf = LeafHashAsync(last, cancellationToken);
        if (range.Count == 1)
        {
            return await lastLeaf;
        }

        var before = ledger.ReadTreeAtAsync(last, cancellationToken);
        await Task.WhenAll(lastLeaf, before);
        var hasher = new MerkleSubtreeHasher([range]);
        foreach (var (start, count, hash) in (await before).Tree.Subtrees())
        {
            hasher.Add(start, count, hash);
        }

        hasher.AddLeafHash(last, await lastLeaf);
        return hasher.Complete()[0];
    }

    private async Task<byte[]> LeafHashAsync(long seq, CancellationToken cancellationToken) =>
        MerkleHash.Leaf(System.Text.Encoding.UTF8.GetBytes(await RecordAsync(seq, cancellationToken)));

    private async Task<string> RecordAsync(long seq, CancellationToken cancellationToken)
    {
        await foreach (var line in ledger.ReadCanonicalAsync(seq, seq, cancellationToken))
        {
            return line;
        }

        throw new InvalidOperationException($"ledger record seq {seq} is missing from the table");
    }
}
