using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Functions.Http;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// Serves every HTTP function under <c>/api</c> with the route, methods and auth level of its <c>[HttpTrigger]</c>,
/// as the Functions host does. Route values bind to parameters of the same name; the function's <see cref="IResult"/>
/// writes the response.
/// </summary>
public static class HttpFunctionEndpoints
{
    public const string RoutePrefix = "api";

    public static void MapHttpFunctions(this IEndpointRouteBuilder app, FunctionIndex index)
    {
        foreach (var function in index.OfKind(TriggerKind.Http))
        {
            if (!typeof(IResult).IsAssignableFrom(function.ResultType))
            {
                throw new InvalidOperationException($"HTTP function '{function.Name}' must return IResult (or Task<IResult>)");
            }
            var trigger = function.Http;
            var route = $"/{RoutePrefix}/{trigger.Route ?? function.Name}";
            string[] methods = trigger.Methods is { Length: > 0 } declared
                ? [.. declared.Select(m => m.ToUpperInvariant())]
                : ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
            app.MapMethods(route, methods, context => InvokeAsync(function, context)).WithName(function.Name);
        }
    }

    private static async Task InvokeAsync(FunctionEntry function, HttpContext context)
    {
        if (function.Http.AuthLevel is not AuthorizationLevel.Anonymous and not AuthorizationLevel.User && !HasFunctionKey(context, function))
        {
            await Problems.Problem(StatusCodes.Status401Unauthorized, "function-key-required", "Function key required",
                $"'{function.Name}' has auth level {function.Http.AuthLevel}: send x-functions-key.").ExecuteAsync(context);
            return;
        }
        var result = await FunctionRunner.InvokeAsync(function, context.RequestServices, context.Request, context.RequestAborted,
            name => context.Request.RouteValues.TryGetValue(name, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null);
        await ((IResult?)result ?? Results.NoContent()).ExecuteAsync(context);
    }

    // In Azure the host checks keys; standalone checks the configured key, and with none configured, refuses.
    private static bool HasFunctionKey(HttpContext context, FunctionEntry function)
    {
        var configuration = context.RequestServices.GetRequiredService<IConfiguration>();
        var expected = configuration[$"Functions:Keys:{function.Name}"] ?? configuration["Functions:Keys:default"];
        var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        return expected is { Length: > 0 } && presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
    }
}
