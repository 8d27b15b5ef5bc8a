using Microsoft.Azure.Functions.Worker;
using Panaptico.Functions.Auth;

namespace Panaptico.Functions.Caller;

/// <summary>Who am I: the first question an operator asks of a deployment.</summary>
public static class CallerFunctions
{
    /// <summary>The caller as Panaptico sees them: any authenticated caller, whatever their roles.</summary>
    [Function("Me")]
    public static async Task<IResult> MeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest request)
    {
        if (await request.AuthorizeAsync(Access.Authenticated) is { } refused)
        {
            return refused;
        }

        var caller = request.HttpContext.Caller();
        return Results.Json(new { id = caller.Id, name = caller.Name, roles = caller.Roles.Order().ToArray() });
    }
}
