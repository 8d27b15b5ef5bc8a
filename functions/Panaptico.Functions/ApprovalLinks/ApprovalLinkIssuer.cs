using System.Collections.Concurrent;
using System.Text;
using Panaptico.Core.ApprovalLinks;
using Panaptico.Core.Evidence;
using Panaptico.Storage.Evidence;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>One link as issued: its path under the app, its full URL when the app's address is configured, and its claims.</summary>
public sealed record IssuedApprovalLink(string Token, string Path, Uri? Url, ApprovalLinkClaims Claims);

/// <summary>What reading a link found; only <see cref="LinkCheck.Valid"/> lets its holder decide.</summary>
public abstract record LinkCheck
{
    public sealed record Valid(ApprovalLinkClaims Claims) : LinkCheck;

    public sealed record NotValid(string Why) : LinkCheck;

    public sealed record Expired(ApprovalLinkClaims Claims) : LinkCheck;

    public sealed record Used(ApprovalLinkClaims Claims, LinkUse Use) : LinkCheck;
}

/// <summary>
/// Issues and reads approval links. They are signed with the app's signing key (the bundle signer: Key Vault in Azure,
/// a local P-256 key standalone) and verified against the keyring, where every version's public key is archived before
/// it signs, so a link issued by one instance verifies on every other and after a key rotation.
/// </summary>
public sealed class ApprovalLinkIssuer(IBundleSigner signer, KeyringStore keyring, ApprovalLinkUses uses, ApprovalLinkSettings settings, TimeProvider time)
{
    public const string Route = "approve";

    private const string Archiver = "system:approval-links";

    private readonly ConcurrentDictionary<string, bool> _archived = new(StringComparer.Ordinal);

    /// <param name="notAfter">The request's own expiry (the seat's); the link never outlives it.</param>
    public async Task<IssuedApprovalLink> IssueAsync(
        string changeId, string? seatId, string approverId, string approverName, string contextPackSha256, DateTimeOffset? notAfter, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var expires = now + settings.Expiry;
        if (notAfter is { } until && until < expires)
        {
            expires = until;
        }
        var key = await signer.CurrentKeyAsync(cancellationToken);
        if (!_archived.ContainsKey($"{key.KeyId}#{key.Version}"))
        {
            await keyring.ArchiveAsync(key, Archiver, cancellationToken);
            _archived[$"{key.KeyId}#{key.Version}"] = true;
        }
        var claims = new ApprovalLinkClaims(
            ApprovalLinkClaims.LinkIdFor(changeId, seatId, approverId, contextPackSha256), changeId, approverId, approverName, seatId, now, expires);
        var input = ApprovalLinkToken.SigningInput(key.KeyId, key.Version, claims);
        var signature = await signer.SignAsync(Encoding.ASCII.GetBytes(input), cancellationToken);
        if (signature.KeyVersion != key.Version)
        {
            throw new InvalidOperationException($"the signer signed with version {signature.KeyVersion} after naming {key.Version}; issue the link again");
        }
        var token = ApprovalLinkToken.Compose(input, signature.Signature);
        var path = $"/api/{Route}/{token}";
        return new IssuedApprovalLink(token, path, settings.BaseUrl is { } baseUrl ? new Uri(baseUrl, path) : null, claims);
    }

    /// <summary>Checks a token: well formed, signed by an archived key, not expired, not used. Changes nothing.</summary>
    public async Task<LinkCheck> ReadAsync(string token, CancellationToken cancellationToken)
    {
        if (!ApprovalLinkToken.TryParse(token, out var parsed))
        {
            return new LinkCheck.NotValid("this is not an approval link");
        }
        if (await keyring.FindAsync(parsed.KeyId, parsed.KeyVersion, cancellationToken) is not { } entry)
        {
            return new LinkCheck.NotValid("this approval link was not signed by a key of this app");
        }
        using (var key = entry.ImportPublicKey())
        {
            if (!parsed.VerifiedBy(key))
            {
                return new LinkCheck.NotValid("this approval link's signature does not verify");
            }
        }
        var claims = parsed.Claims;
        if (await uses.FindAsync(claims.LinkId, cancellationToken) is { } use)
        {
            return new LinkCheck.Used(claims, use);
        }
        return time.GetUtcNow() >= claims.ExpiresAt ? new LinkCheck.Expired(claims) : new LinkCheck.Valid(claims);
    }
}
