using System.Security.Cryptography;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Tests.Ledger;

/// <summary>Checks the streaming tree and proofs against a direct transcription of RFC 9162's recursive definitions.</summary>
public sealed class MerkleProofTests
{
    private static readonly byte[][] s_leaves = Enumerable.Range(0, 70).Select(i => new[] { (byte)i, (byte)(i * 7) }).ToArray();
    private static readonly byte[][] s_leafHashes = s_leaves.Select(l => MerkleHash.Leaf(l)).ToArray();

    [Fact]
    public void The_frontier_root_equals_the_recursive_tree_hash_for_every_size_up_to_70()
    {
        var frontier = new MerkleFrontier();
        Assert.Equal(SHA256.HashData([]), frontier.Root());
        for (var n = 1; n <= s_leaves.Length; n++)
        {
            frontier.AppendLeaf(s_leaves[n - 1]);

            Assert.Equal(Naive.Mth(s_leaves[..n]), frontier.Root());
            Assert.Equal(long.PopCount(n), frontier.Nodes.Count);
        }
    }

    [Fact]
    public void Inclusion_proofs_match_the_reference_and_verify_for_every_leaf_of_every_size()
    {
        for (var n = 1; n <= s_leaves.Length; n++)
        {
            var root = Naive.Mth(s_leaves[..n]);
            for (var m = 0; m < n; m++)
            {
                var proof = Hashes(MerkleProof.InclusionPath(m, n), n, skipLeaf: m);

                Assert.Equal(Naive.Path(m, s_leaves[..n]), proof);
                Assert.True(MerkleProof.VerifyInclusion(m, n, MerkleHash.Leaf(s_leaves[m]), proof, root), $"leaf {m} of {n}");
            }
        }
    }

    [Fact]
    public void Consistency_proofs_match_the_reference_and_verify_for_every_pair_of_sizes()
    {
        for (var n = 1; n <= s_leaves.Length; n++)
        {
            var newRoot = Naive.Mth(s_leaves[..n]);
            for (var m = 1; m <= n; m++)
            {
                var proof = Hashes(MerkleProof.ConsistencyPath(m, n), n, skipLeaf: -1);

                Assert.Equal(m == n ? [] : Naive.SubProof(m, s_leaves[..n], true), proof);
                Assert.True(MerkleProof.VerifyConsistency(m, n, Naive.Mth(s_leaves[..m]), newRoot, proof), $"{m} -> {n}");
            }
        }
    }

    [Fact]
    public void A_wrong_leaf_index_root_or_proof_node_fails_inclusion()
    {
        const int n = 37;
        var root = Naive.Mth(s_leaves[..n]);
        var proof = Hashes(MerkleProof.InclusionPath(12, n), n, 12);
        var leaf = MerkleHash.Leaf(s_leaves[12]);
        var bent = proof.Select(p => (byte[])p.Clone()).ToArray();
        bent[2][0] ^= 1;

        Assert.True(MerkleProof.VerifyInclusion(12, n, leaf, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(13, n, leaf, proof, root));
        Assert.False(MerkleProof.VerifyInclusion(12, n, MerkleHash.Leaf(s_leaves[13]), proof, root));
        Assert.False(MerkleProof.VerifyInclusion(12, n, leaf, bent, root));
        Assert.False(MerkleProof.VerifyInclusion(12, n, leaf, proof[..^1], root));
        Assert.False(MerkleProof.VerifyInclusion(12, n * 2, leaf, proof, root));
    }

    [Fact]
    public void A_rewritten_old_leaf_or_a_bent_node_fails_consistency()
    {
        var proof = Hashes(MerkleProof.ConsistencyPath(21, 58), 58, -1);
        var oldRoot = Naive.Mth(s_leaves[..21]);
        var newRoot = Naive.Mth(s_leaves[..58]);
        var rewritten = s_leaves[..21].Select(l => (byte[])l.Clone()).ToArray();
        rewritten[4] = [99, 99];
        var bent = proof.Select(p => (byte[])p.Clone()).ToArray();
        bent[0][5] ^= 1;

        Assert.True(MerkleProof.VerifyConsistency(21, 58, oldRoot, newRoot, proof));
        Assert.False(MerkleProof.VerifyConsistency(21, 58, Naive.Mth(rewritten), newRoot, proof));
        Assert.False(MerkleProof.VerifyConsistency(21, 58, oldRoot, newRoot, bent));
        Assert.False(MerkleProof.VerifyConsistency(20, 58, oldRoot, newRoot, proof));
    }

    [Fact]
    public void Proof_nodes_can_be_computed_from_a_prefix_frontier_plus_the_later_leaves()
    {
        // An export of leaves 23..69 carries the frontier of the first 23: enough for any proof from size >= 23.
        var prefix = new MerkleFrontier();
        foreach (var leaf in s_leaves[..23])
        {
            prefix.AppendLeaf(leaf);
        }

        var path = MerkleProof.ConsistencyPath(30, 70);
        var hasher = new MerkleSubtreeHasher(path);
        foreach (var (start, count, hash) in prefix.Subtrees())
        {
            hasher.Add(start, count, hash);
        }

        for (var i = 23; i < 70; i++)
        {
            hasher.AddLeafHash(i, MerkleHash.Leaf(s_leaves[i]));
        }

        Assert.Equal(Naive.SubProof(30, s_leaves, true), hasher.Complete());
    }

    [Fact]
    public void A_proof_reaching_inside_the_prefix_frontier_is_refused_rather_than_guessed()
    {
        var prefix = new MerkleFrontier();
        foreach (var leaf in s_leaves[..32])
        {
            prefix.AppendLeaf(leaf);
        }

        var hasher = new MerkleSubtreeHasher(MerkleProof.InclusionPath(5, 40));
        foreach (var (start, count, hash) in prefix.Subtrees())
        {
            hasher.Add(start, count, hash);
        }

        Assert.NotNull(hasher.Problem);
        Assert.Throws<InvalidOperationException>(() => hasher.Complete());
    }

    private static byte[][] Hashes(IReadOnlyList<LeafRange> ranges, int n, int skipLeaf)
    {
        var hasher = new MerkleSubtreeHasher(ranges);
        for (var i = 0; i < n; i++)
        {
            if (i != skipLeaf)
            {
                hasher.AddLeafHash(i, s_leafHashes[i]);
            }
        }

        return [.. hasher.Complete()];
    }

    /// <summary>RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 written as the recursive definitions, over whole lists.</summary>
    private static class Naive
    {
        // Ranges are slices of one leaf list, so (first leaf object, length) names a range: memoize to keep the test
        // quick. Tests of one class run one at a time, so a plain dictionary will do.
        private static readonly Dictionary<(byte[], int), byte[]> s_memo = [];

        public static byte[] Mth(byte[][] d)
        {
            if (d.Length > 1 && s_memo.TryGetValue((d[0], d.Length), out var known))
            {
                return known;
            }

            var hash = Compute(d);
            if (d.Length > 1)
            {
                s_memo[(d[0], d.Length)] = hash;
            }

            return hash;
        }

        private static byte[] Compute(byte[][] d)
        {
            if (d.Length == 0)
            {
                return SHA256.HashData([]);
            }

            if (d.Length == 1)
            {
                return SHA256.HashData([0x00, .. d[0]]);
            }

            var k = K(d.Length);
            return SHA256.HashData([0x01, .. Mth(d[..k]), .. Mth(d[k..])]);
        }

        public static byte[][] Path(int m, byte[][] d)
        {
            if (d.Length <= 1)
            {
                return [];
            }

            var k = K(d.Length);
            return m < k ? [.. Path(m, d[..k]), Mth(d[k..])] : [.. Path(m - k, d[k..]), Mth(d[..k])];
        }

        public static byte[][] SubProof(int m, byte[][] d, bool b)
        {
            var n = d.Length;
            if (m == n)
            {
                return b ? [] : [Mth(d)];
            }

            var k = K(n);
            return m <= k ? [.. SubProof(m, d[..k], b), Mth(d[k..])] : [.. SubProof(m - k, d[k..], false), Mth(d[..k])];
        }

        private static int K(int n)
        {
            var k = 1;
            while (k * 2 < n)
            {
                k *= 2;
            }

            return k;
        }
    }
}
