using System.Security.Claims;
using Panaptico.Core.Identity;

namespace Panaptico.Functions.Auth;

public static class CallerPrincipal
{
    public const string RolesClaim = "roles";
    public const string NameClaim = "name";

    /// <summary>The authenticated caller as the domain sees it; endpoints behind a role policy always have one.</summary>
    public static Principal ToPrincipal(this ClaimsPrincipal user)
    {
        var id = user.FindFirst("oid")?.Value ?? user.FindFirst("sub")?.Value
            ?? user.FindFirst(ClaimTypes.NameIdentifier)?.Value
            ?? throw new InvalidOperationException("the caller has no subject identifier");
        var name = user.FindFirst(NameClaim)?.Value ?? user.Identity?.Name ?? id;
        var roles = user.Claims
            .Where(c => c.Type == RolesClaim || c.Type == ClaimTypes.Role)
            .Select(c => c.Value)
            .Where(Role.All.Contains)
            .ToHashSet();
        return new Principal(id, name, roles);
    }

    public static Principal Caller(this HttpContext context) => context.User.ToPrincipal();
}
