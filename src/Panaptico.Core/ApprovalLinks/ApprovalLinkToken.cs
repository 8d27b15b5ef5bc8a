using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Panaptico.Core.ApprovalLinks;

/// <summary>
/// What an approval link lets its holder do: act once as <see cref="ApproverId"/> on change <see cref="ChangeId"/>
/// until <see cref="ExpiresAt"/>. <see cref="LinkId"/> names the link for its single use.
/// </summary>
public sealed record ApprovalLinkClaims(
    string LinkId,
    string ChangeId,
    string ApproverId,
    string ApproverName,
    string? SeatId,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// The link id for one approver of one seat on one context pack: the same on every issue of that request, so an
    /// activity or notification sent twice gives links that share one single use.
    /// </summary>
    public static string LinkIdFor(string changeId, string? seatId, string approverId, string contextPackSha256) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes($"approval-link\n{changeId}\n{seatId}\n{approverId}\n{contextPackSha256}")).AsSpan(0, 16));
}

/// <summary>
/// The approval link's token: a compact JWS (RFC 7515) signed ES256 by the app's signing key (the bundle signer; its
/// public keys are in the keyring), <c>kid</c> = <c>&lt;key id&gt;#&lt;version&gt;</c>, <c>typ</c> =
/// <see cref="Type"/>. No I/O here: signing and the key lookup are the caller's.
/// </summary>
/// <remarks>
/// The signing input starts with the base64url of a JSON header, never with DSSE's <c>DSSEv1 </c>, so a link's signature
/// can never pass as a bundle's and the other way round.
/// </remarks>
public static class ApprovalLinkToken
{
    public const string Type = "panaptico-approval-link+jws";

    /// <summary>Anything longer is not one of ours (a token is about 400 characters).</summary>
    public const int MaxLength = 2048;

    /// <summary>The bytes to sign: <c>base64url(header) "." base64url(claims)</c>.</summary>
    public static string SigningInput(string keyId, string keyVersion, ApprovalLinkClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = Type, ["kid"] = $"{keyId}#{keyVersion}" };
        var payload = new JsonObject
        {
            ["jti"] = claims.LinkId,
            ["chg"] = claims.ChangeId,
            ["sub"] = claims.ApproverId,
            ["name"] = claims.ApproverName,
            ["seat"] = claims.SeatId,
            ["iat"] = claims.IssuedAt.ToUnixTimeSeconds(),
            ["exp"] = claims.ExpiresAt.ToUnixTimeSeconds(),
        };
        return $"{Encode(header)}.{Encode(payload)}";
    }

    /// <param name="signature">r||s, 64 bytes (IEEE P1363), as the bundle signer returns it.</param>
    public static string Compose(string signingInput, byte[] signature) => $"{signingInput}.{Base64Url.EncodeToString(signature)}";

    /// <summary>Reads a token's parts without trusting them: check <see cref="ParsedApprovalLink.VerifiedBy"/> next.</summary>
    public static bool TryParse(string? token, [NotNullWhen(true)] out ParsedApprovalLink? parsed)
    {
        parsed = null;
        if (token is null || token.Length > MaxLength)
        {
            return false;
        }
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }
        try
        {
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0])) as JsonObject;
            var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1])) as JsonObject;
            var signature = Base64Url.DecodeFromChars(parts[2]);
            if (header is null || payload is null || signature.Length != 64
                || (string?)header["alg"] != "ES256" || (string?)header["typ"] != Type
                || (string?)header["kid"] is not { } kid)
            {
                return false;
            }
            var hash = kid.LastIndexOf('#');
            if (hash <= 0 || hash == kid.Length - 1)
            {
                return false;
            }
            var claims = new ApprovalLinkClaims(
                (string?)payload["jti"] ?? "",
                (string?)payload["chg"] ?? "",
                (string?)payload["sub"] ?? "",
                (string?)payload["name"] ?? "",
                (string?)payload["seat"],
                DateTimeOffset.FromUnixTimeSeconds((long)payload["iat"]!),
                DateTimeOffset.FromUnixTimeSeconds((long)payload["exp"]!));
            if (claims.LinkId.Length is 0 or > 64 || claims.ChangeId.Length == 0 || claims.ApproverId.Length == 0)
            {
                return false;
            }
            parsed = new ParsedApprovalLink(kid[..hash], kid[(hash + 1)..], claims, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature);
            return true;
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            return false;
        }
    }

    private static string Encode(JsonObject json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));
}

/// <summary>A token read but not yet trusted.</summary>
public sealed record ParsedApprovalLink(string KeyId, string KeyVersion, ApprovalLinkClaims Claims, byte[] SigningInput, byte[] Signature)
{
    /// <summary>Whether the signature is the named key's over the header and claims (ES256, r||s).</summary>
    public bool VerifiedBy(ECDsa publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return publicKey.VerifyData(SigningInput, Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
