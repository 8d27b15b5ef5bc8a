using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;
using Panaptico.Core.Identity;

namespace Panaptico.Functions.Auth;

/// <summary>
/// Who is calling. In Azure, App Service Authentication (<c>Auth:Mode=AppService</c>); standalone, a bearer JWT
/// validated against <c>Auth:Authority</c> (Entra ID) or the configured signing key of the development issuer.
/// One authorization policy per role; admin passes every role check.
/// </summary>
public static class AuthSetup
{
    public static void AddPanapticoAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("Auth");
        if (string.Equals(section["Mode"], AppServicePrincipalHandler.SchemeName, StringComparison.OrdinalIgnoreCase))
        {
            services.AddAuthentication(AppServicePrincipalHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, AppServicePrincipalHandler>(AppServicePrincipalHandler.SchemeName, null);
        }
        else
        {
            services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                var parameters = new TokenValidationParameters
                {
                    ValidIssuer = section["Issuer"] ?? DevelopmentIssuer.DefaultIssuer,
                    ValidAudience = section["Audience"] ?? DevelopmentIssuer.DefaultAudience,
                    NameClaimType = CallerPrincipal.NameClaim,
                    RoleClaimType = CallerPrincipal.RolesClaim,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                if (section["Authority"] is { Length: > 0 } authority)
                {
                    options.Authority = authority; // Entra ID: keys from its OpenID metadata
                }
                else if (section["SigningKeyPem"] is { Length: > 0 } pem)
                {
                    var key = ECDsa.Create();
                    key.ImportFromPem(pem);
                    parameters.IssuerSigningKey = new ECDsaSecurityKey(key);
                }
                else
                {
                    // Fail closed: with no key to check signatures against, no token is valid.
                    parameters.IssuerSigningKeyResolver = (_, _, _, _) => [];
                }
                options.TokenValidationParameters = parameters;
            });
        }

        var authorization = services.AddAuthorizationBuilder();
        foreach (var role in Role.All)
        {
            authorization.AddPolicy(role, policy => policy.RequireAuthenticatedUser()
                .RequireAssertion(context => context.User.IsInRole(role) || context.User.IsInRole(Role.Admin)));
        }

        // Reading is for every role: operators run, approvers review, auditors audit.
        authorization.AddPolicy(Access.AnyRole, policy => policy.RequireAuthenticatedUser()
            .RequireAssertion(context => Role.All.Any(context.User.IsInRole)));
    }
}
