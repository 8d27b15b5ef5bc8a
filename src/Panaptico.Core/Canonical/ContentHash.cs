using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Canonical;

/// <summary>SHA-256 content hashes in the one text form the product uses: 64 lowercase hex digits.</summary>
public static class ContentHash
{
    private static readonly SearchValues<char> s_lowerHex = SearchValues.Create("0123456789abcdef");

    public static string Sha256Hex(ReadOnlySpan<byte> content)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(content, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Hashes a stream from its current position to its end, without buffering it whole.</summary>
    public static async Task<string> Sha256HexAsync(Stream content, CancellationToken cancellationToken)
    {
        var digest = await SHA256.HashDataAsync(content, cancellationToken);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Hash of a JSON value's RFC 8785 canonical form.</summary>
    public static string Sha256HexOfCanonical(JsonNode? node) => Sha256Hex(CanonicalJson.Serialize(node));

    /// <summary>True when <paramref name="value"/> looks like a hash we produce (64 lowercase hex digits).</summary>
    public static bool IsSha256Hex(string? value) =>
        value is { Length: 64 } && value.AsSpan().IndexOfAnyExcept(s_lowerHex) < 0;
}
