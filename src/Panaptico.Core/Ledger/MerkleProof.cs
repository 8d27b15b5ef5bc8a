namespace Panaptico.Core.Ledger;

/// <summary>
/// RFC 9162 §2.1.3 and §2.1.4: which subtrees an inclusion or consistency proof consists of, and their verification.
/// Generation is split from hashing: the paths name leaf ranges [Start, End), and a <see cref="MerkleSubtreeHasher"/>
/// (or any tree) supplies their hashes, so proofs can be made while streaming an export.
/// </summary>
public static class MerkleProof
{
    /// <summary>The ranges whose hashes form the inclusion proof of leaf <paramref name="index"/>, leaf-side first.</summary>
    public static IReadOnlyList<LeafRange> InclusionPath(long index, long treeSize)
    {
        if (index < 0 || index >= treeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"Leaf {index} is not in a tree of {treeSize}.");
        }

        var path = new List<LeafRange>();
        Path(index, 0, treeSize, path);
        return path;
    }

    /// <summary>The ranges whose hashes form the consistency proof from size <paramref name="oldSize"/> to <paramref name="newSize"/>.</summary>
    public static IReadOnlyList<LeafRange> ConsistencyPath(long oldSize, long newSize)
    {
        if (oldSize < 0 || oldSize > newSize)
        {
            throw new ArgumentOutOfRangeException(nameof(oldSize), $"Cannot prove size {oldSize} consistent with size {newSize}.");
        }

        var path = new List<LeafRange>();
        if (oldSize > 0 && oldSize < newSize)
        {
            SubProof(oldSize, 0, newSize, true, path);
        }

        return path;
    }

    private static void Path(long m, long offset, long n, List<LeafRange> path)
    {
        if (n <= 1)
        {
            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m < k)
        {
            Path(m, offset, k, path);
            path.Add(new LeafRange(offset + k, offset + n));
        }
        else
        {
            Path(m - k, offset + k, n - k, path);
            path.Add(new LeafRange(offset, offset + k));
        }
    }

    private static void SubProof(long m, long offset, long n, bool complete, List<LeafRange> path)
    {
        if (m == n)
        {
            if (!complete)
            {
                path.Add(new LeafRange(offset, offset + n));
            }

            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m <= k)
        {
            SubProof(m, offset, k, complete, path);
            path.Add(new LeafRange(offset + k, offset + n));
        }
        else
        {
            SubProof(m - k, offset + k, n - k, false, path);
            path.Add(new LeafRange(offset, offset + k));
        }
    }

    /// <summary>RFC 9162 §2.1.3.2: does <paramref name="leafHash"/> sit at <paramref name="index"/> in the tree with <paramref name="root"/>?</summary>
    public static bool VerifyInclusion(long index, long treeSize, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (index < 0 || index >= treeSize)
        {
            return false;
        }

        var fn = index;
        var sn = treeSize - 1;
        var r = leafHash.ToArray();
        foreach (var p in proof)
        {
            if (sn == 0 || p is not { Length: MerkleHash.Size })
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>RFC 9162 §2.1.4.2: is the tree (<paramref name="oldSize"/>, <paramref name="oldRoot"/>) a prefix of (<paramref name="newSize"/>, <paramref name="newRoot"/>)?</summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> proof)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (oldSize < 0 || oldSize > newSize || proof.Any(p => p is not { Length: MerkleHash.Size }))
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return proof.Count == 0 && oldRoot.SequenceEqual(newRoot);
        }

        if (oldSize == 0)
        {
            // The empty tree is a prefix of every tree.
            return proof.Count == 0;
        }

        var path = proof.ToList();
        if (path.Count == 0)
        {
            return false;
        }

        if ((oldSize & (oldSize - 1)) == 0)
        {
            path.Insert(0, oldRoot.ToArray());
        }

        var fn = oldSize - 1;
        var sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = path[0];
        var sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && fr.AsSpan().SequenceEqual(oldRoot) && sr.AsSpan().SequenceEqual(newRoot);
    }
}

/// <summary>Leaves [Start, End) of the tree: one node of a proof.</summary>
public readonly record struct LeafRange(long Start, long End)
{
    public long Count => End - Start;
}
