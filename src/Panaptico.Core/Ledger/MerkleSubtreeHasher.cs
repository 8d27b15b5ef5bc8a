namespace Panaptico.Core.Ledger;

/// <summary>
/// Computes the hashes of given leaf ranges (a proof's nodes) from one ordered pass over the tree, fed as aligned
/// subtrees: the prefix frontier an export starts from, then its leaves. Memory is O(log n) per range.
/// </summary>
public sealed class MerkleSubtreeHasher
{
    private readonly LeafRange[] _targets;
    private readonly int[] _order;
    private readonly byte[]?[] _hashes;
    private readonly List<(long Start, long Count, byte[] Hash)> _stack = [];
    private int _current;
    private long _covered;

    public MerkleSubtreeHasher(IReadOnlyList<LeafRange> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        _targets = [.. targets];
        _order = Enumerable.Range(0, _targets.Length).OrderBy(i => _targets[i].Start).ToArray();
        _hashes = new byte[_targets.Length][];
        for (var i = 1; i < _order.Length; i++)
        {
            if (_targets[_order[i]].Start < _targets[_order[i - 1]].End)
            {
                throw new ArgumentException("Proof ranges must not overlap.", nameof(targets));
            }
        }
    }

    /// <summary>Set when a range cannot be computed from what was fed (e.g. it starts inside a prefix subtree).</summary>
    public string? Problem { get; private set; }

    /// <summary>Feeds the next aligned subtree [start, start+count) of the tree, in order.</summary>
    public void Add(long start, long count, byte[] hash)
    {
        while (_current < _order.Length && Problem is null)
        {
            var target = _targets[_order[_current]];
            if (start >= target.End)
            {
                Finish(target);
                continue;
            }

            if (start + count <= target.Start)
            {
                return; // before this range: not part of the proof
            }

            if (start < target.Start || start + count > target.End)
            {
                Problem = $"leaves [{target.Start}, {target.End}) start inside the subtree [{start}, {start + count}) that the export begins with; an export starting earlier is needed";
                return;
            }

            _stack.Add((start, count, hash));
            _covered += count;
            while (_stack.Count >= 2 && _stack[^1].Count == _stack[^2].Count && _stack[^2].Start % (2 * _stack[^2].Count) == 0)
            {
                var right = _stack[^1];
                var left = _stack[^2];
                _stack.RemoveRange(_stack.Count - 2, 2);
                _stack.Add((left.Start, left.Count * 2, MerkleHash.Node(left.Hash, right.Hash)));
            }

            return;
        }
    }

    public void AddLeafHash(long index, byte[] leafHash) => Add(index, 1, leafHash);

    /// <summary>The hashes in the order the ranges were given; fails if any range was not fully fed.</summary>
    public IReadOnlyList<byte[]> Complete()
    {
        while (_current < _order.Length && Problem is null)
        {
            Finish(_targets[_order[_current]]);
        }

        if (Problem is not null)
        {
            throw new InvalidOperationException(Problem);
        }

        return _hashes.Select(h => h!).ToList();
    }

    private void Finish(LeafRange target)
    {
        if (_covered != target.Count)
        {
            Problem = $"leaves [{target.Start}, {target.End}) were not all available";
            return;
        }

        var root = _stack[^1].Hash;
        for (var i = _stack.Count - 2; i >= 0; i--)
        {
            root = MerkleHash.Node(_stack[i].Hash, root);
        }

        _hashes[_order[_current]] = root;
        _stack.Clear();
        _covered = 0;
        _current++;
    }
}
