using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Panaptico.Core.Identity;
using Panaptico.Functions.Http;

namespace Panaptico.Functions.Auth;

/// <summary>
/// The role check every HTTP function makes first. It runs inside the function, not in a pipeline, so it is the same
/// whether the Functions host or the standalone host serves the request.
/// </summary>
public static class Access
{
    /// <summary>Any Panaptico role: operators run, approvers review, auditors audit.</summary>
    public const string AnyRole = "any-role";

    /// <summary>Any authenticated caller, whatever their roles (<c>GET /api/me</c>).</summary>
    public const string Authenticated = "authenticated";

    /// <summary>
    /// Authenticates the caller and checks <paramref name="policy"/> (a <see cref="Role"/> or <see cref="AnyRole"/>).
    /// Null when allowed (and <c>HttpContext.User</c> is the caller); otherwise the 401 or 403 problem to return.
    /// </summary>
    public static async Task<IResult?> AuthorizeAsync(this HttpRequest request, string policy)
    {
        var context = request.HttpContext;
        var authentication = await context.AuthenticateAsync();
        if (authentication.Principal is not { Identity.IsAuthenticated: true } user)
        {
            return Problems.Unauthenticated();
        }
        context.User = user;
        if (policy == Authenticated)
        {
            return null;
        }

        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        var allowed = await authorization.AuthorizeAsync(user, policy);
        return allowed.Succeeded ? null : Problems.Forbidden(policy);
    }
}
