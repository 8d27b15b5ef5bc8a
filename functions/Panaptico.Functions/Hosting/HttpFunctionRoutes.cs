using System.Security.Cryptography;
using System.Text;

namespace Panaptico.Functions.Hosting;

/// <summary>
/// Maps an HTTP function's code to the route and methods its <c>function.json</c> declares, under <c>/api</c>.
/// The same routes serve the Functions host (which forwards the original request) and standalone mode.
/// </summary>
public static class HttpFunctionRoutes
{
    public static RouteHandlerBuilder MapHttpFunction(this IEndpointRouteBuilder app, string name, Delegate handler)
    {
        var catalog = app.ServiceProvider.GetRequiredService<FunctionCatalog>();
        var function = catalog.Find(name)
            ?? throw new InvalidOperationException($"HTTP function '{name}' has no {name}/function.json");
        if (function.Trigger != TriggerKind.Http)
        {
            throw new InvalidOperationException($"'{name}' is declared as a {function.Trigger} function, not HTTP");
        }
        app.ServiceProvider.GetRequiredService<MappedHttpFunctions>().Names.Add(function.Name);

        var endpoint = app.MapMethods("/api/" + function.HttpRoute, function.HttpMethods, handler).WithName(function.Name);
        var authLevel = function.Setting("authLevel") ?? "function";
        if (!string.Equals(authLevel, "anonymous", StringComparison.OrdinalIgnoreCase))
        {
            endpoint.AddEndpointFilter(async (context, next) =>
                HasFunctionKey(context.HttpContext, function)
                    ? await next(context)
                    : Results.Problem(statusCode: 401, title: "Function key required",
                        detail: $"'{function.Name}' has authLevel '{authLevel}': send x-functions-key."));
        }
        return endpoint;
    }

    /// <summary>Every HTTP function the catalog declares must have code behind it; found at start-up, not at 3 a.m.</summary>
    public static void EnsureEveryHttpFunctionIsMapped(this IEndpointRouteBuilder app)
    {
        var mapped = app.ServiceProvider.GetRequiredService<MappedHttpFunctions>().Names;
        var missing = app.ServiceProvider.GetRequiredService<FunctionCatalog>()
            .OfKind(TriggerKind.Http).Select(f => f.Name).Where(n => !mapped.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"HTTP functions declared without code: {string.Join(", ", missing)}");
        }
    }

    // In Azure the host checks keys before forwarding; standalone checks the configured key, and with none, refuses.
    private static bool HasFunctionKey(HttpContext context, FunctionDefinition function)
    {
        var configuration = context.RequestServices.GetRequiredService<IConfiguration>();
        var expected = configuration[$"Functions:Keys:{function.Name}"] ?? configuration["Functions:Keys:default"];
        var presented = context.Request.Headers["x-functions-key"].FirstOrDefault() ?? context.Request.Query["code"].FirstOrDefault();
        return expected is { Length: > 0 } && presented is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
    }
}

public sealed class MappedHttpFunctions
{
    public HashSet<string> Names { get; } = new(StringComparer.OrdinalIgnoreCase);
}
