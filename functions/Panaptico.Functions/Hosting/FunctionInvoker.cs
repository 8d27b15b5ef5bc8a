using System.Text.Json.Nodes;

namespace Panaptico.Functions.Hosting;

/// <summary>
/// Runs a function by name. The custom-handler endpoint and the standalone triggers both come through here,
/// so function code is the same in both modes.
/// </summary>
public sealed class FunctionInvoker(FunctionCatalog catalog, IServiceScopeFactory scopes)
{
    public FunctionDefinition? Find(string name) => catalog.Find(name);

    public async Task<(FunctionResult Result, IReadOnlyList<string> Logs)> InvokeAsync(
        FunctionDefinition function, JsonObject data, JsonObject metadata, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetKeyedService<IFunctionHandler>(function.Name)
            ?? throw new InvalidOperationException($"no handler is registered for function '{function.Name}'");
        var invocation = new FunctionInvocation(function, data, metadata);
        var result = await handler.InvokeAsync(invocation, cancellationToken);
        return (result, invocation.Logs);
    }
}

public static class FunctionRegistration
{
    /// <summary>Registers the code behind a non-HTTP function declared in <c>&lt;name&gt;/function.json</c>.</summary>
    public static IServiceCollection AddFunction<THandler>(this IServiceCollection services, string name)
        where THandler : class, IFunctionHandler =>
        services.AddKeyedScoped<IFunctionHandler, THandler>(name);
}
