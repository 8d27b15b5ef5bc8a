using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Panaptico.Functions.Auth;

/// <summary>
/// The local token issuer that standalone mode, the demo and the tests use in place of Entra ID:
/// ES256 tokens with the same claims Entra puts in app-role tokens (sub/oid, name, roles).
/// </summary>
public sealed class DevelopmentIssuer
{
    public const string DefaultIssuer = "https://panaptico.local/dev-issuer";
    public const string DefaultAudience = "api://panaptico";

    private readonly ECDsa _key;
    private readonly TimeProvider _time;

    public DevelopmentIssuer(ECDsa key, TimeProvider? time = null, string issuer = DefaultIssuer, string audience = DefaultAudience)
    {
        _key = key;
        _time = time ?? TimeProvider.System;
        Issuer = issuer;
        Audience = audience;
        SigningKey = new ECDsaSecurityKey(key) { KeyId = KeyIdOf(key) };
    }

    public string Issuer { get; }
    public string Audience { get; }
    public ECDsaSecurityKey SigningKey { get; }

    /// <summary>The public key, as configuration carries it (<c>Auth:SigningKeyPem</c>).</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    public static DevelopmentIssuer Generate(TimeProvider? time = null) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), time);

    public string Issue(string subject, string name, IEnumerable<string> roles, TimeSpan? lifetime = null)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var claims = new List<Claim> { new("sub", subject), new("oid", subject), new(CallerPrincipal.NameClaim, name) };
        claims.AddRange(roles.Select(r => new Claim(CallerPrincipal.RolesClaim, r)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromHours(1)),
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    private static string KeyIdOf(ECDsa key) =>
        Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];
}
