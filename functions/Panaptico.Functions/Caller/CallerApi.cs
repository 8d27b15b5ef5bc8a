using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Caller;

/// <summary>Who am I and what does this app run: the first two questions an operator asks of a deployment.</summary>
public static class CallerApi
{
    public static void MapCallerApi(this IEndpointRouteBuilder app)
    {
        app.MapHttpFunction("Me", (HttpContext context) =>
        {
            var caller = context.Caller();
            return Results.Json(new { id = caller.Id, name = caller.Name, roles = caller.Roles.Order().ToArray() });
        }).RequireAuthorization();

        app.MapHttpFunction("Functions", (FunctionCatalog catalog) => Results.Json(
            catalog.All.OrderBy(f => f.Name).Select(f => new
            {
                name = f.Name,
                trigger = f.Trigger.ToString(),
                route = f.Trigger == TriggerKind.Http ? "/api/" + f.HttpRoute : null,
                schedule = f.Trigger == TriggerKind.Timer ? f.Setting("schedule") : null,
                queue = f.Trigger == TriggerKind.Queue ? f.Setting("queueName") : null,
            }))).RequireAuthorization(Role.Operator);
    }
}
