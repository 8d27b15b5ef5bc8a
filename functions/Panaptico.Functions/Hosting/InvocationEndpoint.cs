using System.Text.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Functions.Hosting;

/// <summary>
/// The custom-handler contract: the Functions host POSTs <c>{"Data":…,"Metadata":…}</c> to <c>/&lt;FunctionName&gt;</c>
/// and reads back <c>{"Outputs":…,"Logs":[…],"ReturnValue":…}</c>. HTTP functions never come this way:
/// host.json sets <c>enableForwardingHttpRequest</c>, so the host forwards their original request to <c>/api/…</c>.
/// </summary>
public static class InvocationEndpoint
{
    /// <summary>Event Grid batches are at most 1 MB; anything far larger is not from the host.</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    public static IEndpointRouteBuilder MapInvocationEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost("/{functionName}", InvokeAsync).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> InvokeAsync(
        string functionName, HttpRequest request, FunctionInvoker invoker, CancellationToken cancellationToken)
    {
        var function = invoker.Find(functionName);
        if (function is null)
        {
            return Results.Problem(statusCode: 404, title: "Unknown function",
                detail: $"No function named '{functionName}' is declared in this app.");
        }
        if (function.Trigger == TriggerKind.Http)
        {
            return Results.Problem(statusCode: 404, title: "HTTP function",
                detail: $"'{function.Name}' is an HTTP function; the host forwards its requests to /api/{function.HttpRoute}.");
        }
        if (request.ContentLength > MaxPayloadBytes)
        {
            return Results.Problem(statusCode: 413, title: "Payload too large",
                detail: $"An invocation payload is at most {MaxPayloadBytes} bytes.");
        }

        JsonObject? payload;
        try
        {
            payload = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken) as JsonObject;
        }
        catch (JsonException e)
        {
            return Results.Problem(statusCode: 400, title: "Malformed invocation", detail: $"The body is not JSON: {e.Message}");
        }
        if (payload?["Data"] is not JsonObject data)
        {
            return Results.Problem(statusCode: 400, title: "Malformed invocation",
                detail: "The body must be an object with a 'Data' object (and optionally a 'Metadata' object).");
        }
        if (payload["Metadata"] is { } metadataNode and not JsonObject)
        {
            return Results.Problem(statusCode: 400, title: "Malformed invocation", detail: "'Metadata' must be an object.");
        }
        if (data[function.TriggerBindingName] is null)
        {
            return Results.Problem(statusCode: 400, title: "Malformed invocation",
                detail: $"'Data' has no '{function.TriggerBindingName}' binding, which {function.Name}/function.json declares.");
        }
        var metadata = payload["Metadata"] as JsonObject ?? [];

        // Detach from the payload so the function owns its own tree.
        payload.Remove("Data");
        payload.Remove("Metadata");
        var (result, logs) = await invoker.InvokeAsync(function, data, metadata, cancellationToken);
        return Results.Json(new JsonObject
        {
            ["Outputs"] = result.Outputs ?? [],
            ["Logs"] = new JsonArray(logs.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
            ["ReturnValue"] = result.ReturnValue,
        });
    }
}
