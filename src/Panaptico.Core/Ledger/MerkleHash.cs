using System.Buffers;
using System.Security.Cryptography;

namespace Panaptico.Core.Ledger;

/// <summary>RFC 9162 §2.1.1 Merkle tree hashing with SHA-256: domain-separated leaves (0x00) and nodes (0x01).</summary>
public static class MerkleHash
{
    public const int Size = 32;

    /// <summary>MTH of the empty tree: SHA-256 of the empty string.</summary>
    public static ReadOnlySpan<byte> EmptyRoot => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    public static byte[] Leaf(ReadOnlySpan<byte> leaf)
    {
        var length = leaf.Length + 1;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            rented[0] = 0x00;
            leaf.CopyTo(rented.AsSpan(1));
            return SHA256.HashData(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + Size + Size];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The largest power of two strictly less than <paramref name="n"/> (n &gt; 1): RFC 9162's split point k.</summary>
    public static long SplitPoint(long n) => 1L << (63 - (int)long.LeadingZeroCount(n - 1));
}
