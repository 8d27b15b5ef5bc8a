namespace Panaptico.Core.Ledger;

/// <summary>
/// The compact state of a Merkle tree of <see cref="Size"/> leaves: the roots of its perfect subtrees, largest first
/// (one per set bit of the size). Appending a leaf and computing the root need only this, so the ledger's tree head
/// is kept with O(log n) hashes and a million-record export verifies in flat memory.
/// </summary>
public sealed class MerkleFrontier
{
    private readonly List<byte[]> _nodes;

    public MerkleFrontier()
    {
        _nodes = [];
    }

    private MerkleFrontier(long size, List<byte[]> nodes)
    {
        Size = size;
        _nodes = nodes;
    }

    public long Size { get; private set; }

    /// <summary>Subtree roots, largest (leftmost) first.</summary>
    public IReadOnlyList<byte[]> Nodes => _nodes;

    public static MerkleFrontier FromNodes(long size, IEnumerable<byte[]> nodes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var list = nodes.Select(n => n.Length == MerkleHash.Size ? (byte[])n.Clone() : throw new ArgumentException("Subtree hashes are 32 bytes.", nameof(nodes))).ToList();
        if (list.Count != long.PopCount(size))
        {
            throw new ArgumentException($"A tree of {size} leaves has {long.PopCount(size)} subtree roots, not {list.Count}.", nameof(nodes));
        }

        return new MerkleFrontier(size, list);
    }

    /// <summary>Parses the text form: base64 hashes separated by spaces (empty for size 0).</summary>
    public static MerkleFrontier Parse(long size, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return FromNodes(size, parts.Select(Convert.FromBase64String));
    }

    /// <summary>Text form for storage: base64 hashes separated by spaces.</summary>
    public string Format() => string.Join(' ', _nodes.Select(Convert.ToBase64String));

    public MerkleFrontier Clone() => new(Size, _nodes.Select(n => n).ToList());

    /// <summary>Appends one leaf given its raw bytes (hashed with the 0x00 prefix).</summary>
    public void AppendLeaf(ReadOnlySpan<byte> leaf) => AppendLeafHash(MerkleHash.Leaf(leaf));

    public void AppendLeafHash(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        _nodes.Add(leafHash);
        // Each trailing 1 bit of the old size is a completed subtree that now pairs with the new one.
        for (var s = Size; (s & 1) == 1; s >>= 1)
        {
            var right = _nodes[^1];
            var left = _nodes[^2];
            _nodes.RemoveRange(_nodes.Count - 2, 2);
            _nodes.Add(MerkleHash.Node(left, right));
        }

        Size++;
    }

    /// <summary>MTH over all leaves so far (RFC 9162 §2.1.1).</summary>
    public byte[] Root()
    {
        if (_nodes.Count == 0)
        {
            return MerkleHash.EmptyRoot.ToArray();
        }

        var root = _nodes[^1];
        for (var i = _nodes.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_nodes[i], root);
        }

        return root;
    }

    /// <summary>The leaf range [start, end) each node covers, in node order.</summary>
    public IEnumerable<(long Start, long Count, byte[] Hash)> Subtrees()
    {
        var start = 0L;
        var i = 0;
        for (var bit = 62; bit >= 0; bit--)
        {
            var count = 1L << bit;
            if ((Size & count) != 0)
            {
                yield return (start, count, _nodes[i++]);
                start += count;
            }
        }
    }
}
