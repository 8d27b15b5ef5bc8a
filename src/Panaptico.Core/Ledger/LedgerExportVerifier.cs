using System.Buffers;

namespace Panaptico.Core.Ledger;

/// <summary>
/// Verifies a ledger export one canonical record line at a time, in flat memory: each record's form and hash, the
/// seq run (no gap, no repeat, no reorder), the prev chain, non-decreasing times, and at the end the Merkle root
/// against a signed checkpoint. The first failure is kept and names the exact record.
/// </summary>
public sealed class LedgerExportVerifier
{
    private readonly ArrayBufferWriter<byte> _scratch = new(1024);
    private readonly MerkleFrontier _tree;
    private readonly long _firstSeq;
    private string? _lastHash;
    private DateTimeOffset _lastAt = DateTimeOffset.MinValue;
    private (long Expected, long Found, long Line)? _pendingGap;

    /// <param name="prefix">The tree before the export's first record (empty when the export starts at seq 0).</param>
    /// <param name="expectedPrev">The hash of the record before the first one, when known.</param>
    public LedgerExportVerifier(MerkleFrontier? prefix = null, string? expectedPrev = null)
    {
        _tree = prefix?.Clone() ?? new MerkleFrontier();
        _firstSeq = _tree.Size;
        _lastHash = expectedPrev;
    }

    public long Records { get; private set; }

    public long NextSeq => _tree.Size;

    public LedgerVerificationFailure? Failure { get; private set; }

    /// <summary>Leaf hash of the last record accepted (for building proofs alongside verification).</summary>
    public byte[]? LastLeafHash { get; private set; }

    /// <summary>Checks the next record line (canonical JSON, no newline). False once the export has failed.</summary>
    public bool Add(ReadOnlySpan<byte> line, long lineNumber) => Apply(Inspect(line, _scratch), lineNumber);

    /// <summary>
    /// The per-line half of verification (form, hash, leaf hash), which needs no earlier line: callers may run it
    /// on many lines in parallel and then <see cref="Apply"/> the results in order.
    /// </summary>
    public static InspectedLine Inspect(ReadOnlySpan<byte> line, ArrayBufferWriter<byte> scratch)
    {
        var check = LedgerRecordFormat.CheckLine(line, scratch);
        return new InspectedLine(check, check.Ok ? MerkleHash.Leaf(line) : null);
    }

    /// <summary>The in-order half: seq run, chain, times and the tree. False once the export has failed.</summary>
    public bool Apply(InspectedLine inspected, long lineNumber)
    {
        if (Failure is not null)
        {
            return false;
        }

        var expected = _tree.Size;
        var check = inspected.Check;
        var seq = check.Seq;

        if (_pendingGap is { } gap)
        {
            Failure = seq == gap.Expected
                ? new LedgerVerificationFailure(gap.Expected, lineNumber, $"records seq {gap.Expected} and seq {gap.Found} are out of order (seq {gap.Found} comes first, at line {gap.Line})")
                : new LedgerVerificationFailure(gap.Expected, gap.Line, $"record seq {gap.Expected} is missing (dropped): line {gap.Line} holds seq {gap.Found}");
            return false;
        }

        if (seq is { } s && s != expected)
        {
            if (s > expected)
            {
                // Decide on the next line whether it was dropped or swapped.
                _pendingGap = (expected, s, lineNumber);
                return true;
            }

            return Fail(s, lineNumber, $"seq {s} appears again or out of order where seq {expected} was expected");
        }

        if (!check.Ok)
        {
            return Fail(seq ?? expected, lineNumber, seq is null ? $"record expected to be seq {expected} is unreadable: {check.Reason}" : check.Reason!);
        }

        if (expected == 0 ? check.Prev is not null : _lastHash is not null && check.Prev != _lastHash)
        {
            return Fail(expected, lineNumber, expected == 0
                ? "the first record must have prev null"
                : $"prev does not match the hash of seq {expected - 1} (chain broken)");
        }

        if (expected > 0 && _lastHash is null && check.Prev is null)
        {
            return Fail(expected, lineNumber, "prev is null but only seq 0 may have no predecessor");
        }

        if (check.At < _lastAt)
        {
            return Fail(expected, lineNumber, $"time goes backwards from the record before ({LedgerRecordFormat.FormatTime(check.At)})");
        }

        _lastAt = check.At;
        _lastHash = check.Hash;
        LastLeafHash = inspected.LeafHash!;
        _tree.AppendLeafHash(LastLeafHash);
        Records++;
        return true;
    }

    /// <summary>Records that the line expected to hold the next record could not be read at all.</summary>
    public void AddUnreadable(long lineNumber, string reason)
    {
        if (Failure is not null)
        {
            return;
        }

        Failure = _pendingGap is { } gap
            ? new LedgerVerificationFailure(gap.Expected, gap.Line, $"record seq {gap.Expected} is missing (dropped): line {gap.Line} holds seq {gap.Found}")
            : new LedgerVerificationFailure(NextSeq, lineNumber, $"record expected to be seq {NextSeq} is unreadable: {reason}");
    }

    private bool Fail(long? seq, long line, string reason)
    {
        Failure = new LedgerVerificationFailure(seq, line, reason);
        return false;
    }

    /// <summary>Ends the stream and checks the tree head against the checkpoint (signed by <paramref name="key"/> when given).</summary>
    public LedgerVerification Complete(SignedCheckpoint? checkpoint, CheckpointKey? key)
    {
        if (Failure is null && _pendingGap is { } gap)
        {
            Failure = new LedgerVerificationFailure(gap.Expected, gap.Line, $"record seq {gap.Expected} is missing (dropped): line {gap.Line} holds seq {gap.Found}");
        }

        var root = _tree.Root();
        var failure = Failure ?? CheckCheckpoint(checkpoint, key, root);
        return new LedgerVerification(failure is null, Records, _firstSeq, _tree.Size, root, failure);
    }

    private LedgerVerificationFailure? CheckCheckpoint(SignedCheckpoint? checkpoint, CheckpointKey? key, byte[] root)
    {
        if (checkpoint is null)
        {
            return new LedgerVerificationFailure(null, null, "checkpoint: the export has no signed checkpoint");
        }

        if (key is not null && !checkpoint.IsSignedBy(key))
        {
            return new LedgerVerificationFailure(null, null, $"checkpoint: no valid signature by key '{key.Name}' ({key.KeyId:x8})");
        }

        var c = checkpoint.Checkpoint;
        if (c.Size != _tree.Size)
        {
            return new LedgerVerificationFailure(_tree.Size == 0 ? null : _tree.Size - 1, null,
                $"checkpoint: it is for tree size {c.Size} but the export ends at tree size {_tree.Size} (last seq {_tree.Size - 1})");
        }

        return c.RootHash.AsSpan().SequenceEqual(root)
            ? null
            : new LedgerVerificationFailure(null, null, "checkpoint: the root hash does not match the records (records rewritten, or the checkpoint belongs to another ledger)");
    }
}

/// <summary>One line checked on its own: its form and hash, and its Merkle leaf hash when it is a record.</summary>
public readonly record struct InspectedLine(LedgerRecordFormat.LineCheck Check, byte[]? LeafHash);

/// <summary>The first thing wrong with an export: which record (seq and line, when known) and why.</summary>
public sealed record LedgerVerificationFailure(long? Seq, long? Line, string Reason)
{
    public override string ToString() => (Seq, Line) switch
    {
        ({ } s, { } l) => $"seq {s} (line {l}): {Reason}",
        ({ } s, null) => $"seq {s}: {Reason}",
        (null, { } l) => $"line {l}: {Reason}",
        _ => Reason,
    };
}

/// <summary>Outcome of verifying an export: the records seen, the tree they form, and the failure if any.</summary>
public sealed record LedgerVerification(bool Ok, long Records, long FirstSeq, long TreeSize, byte[] Root, LedgerVerificationFailure? Failure);
