using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Panaptico.Functions.Auth;

/// <summary>
/// In Azure, App Service Authentication validates the token and passes the caller in <c>X-MS-CLIENT-PRINCIPAL</c>
/// (base64 JSON of claims). The platform strips that header from incoming requests, so it is trusted only when
/// <c>Auth:Mode</c> is <c>AppService</c>.
/// </summary>
public sealed class AppServicePrincipalHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AppService";
    public const string HeaderName = "X-MS-CLIENT-PRINCIPAL";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var header) || string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        try
        {
            var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(header.ToString())));
            var root = json.RootElement;
            var roleType = root.TryGetProperty("role_typ", out var rt) ? rt.GetString() ?? CallerPrincipal.RolesClaim : CallerPrincipal.RolesClaim;
            var nameType = root.TryGetProperty("name_typ", out var nt) ? nt.GetString() ?? CallerPrincipal.NameClaim : CallerPrincipal.NameClaim;
            var claims = root.GetProperty("claims").EnumerateArray()
                .Select(c => new Claim(
                    c.GetProperty("typ").GetString()!,
                    c.GetProperty("val").GetString()!))
                .Select(c => c.Type == roleType ? new Claim(CallerPrincipal.RolesClaim, c.Value) : c)
                .Select(c => c.Type == nameType ? new Claim(CallerPrincipal.NameClaim, c.Value) : c)
                .ToList();
            var authType = root.TryGetProperty("auth_typ", out var at) ? at.GetString() : SchemeName;
            var identity = new ClaimsIdentity(claims, authType, CallerPrincipal.NameClaim, CallerPrincipal.RolesClaim);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
        catch (Exception e) when (e is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Task.FromResult(AuthenticateResult.Fail("X-MS-CLIENT-PRINCIPAL is malformed"));
        }
    }
}
