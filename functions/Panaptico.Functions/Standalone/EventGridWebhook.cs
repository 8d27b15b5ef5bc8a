using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Standalone;

/// <summary>
/// The Event Grid webhook standalone mode serves in place of the Functions host, at the host's own path
/// <c>/runtime/webhooks/eventgrid?functionName=X</c>: the subscription-validation handshake (Event Grid schema),
/// the CloudEvents OPTIONS abuse-protection handshake, and delivery in both schemas, one invocation per event.
/// </summary>
public static class EventGridWebhook
{
    /// <summary>Event Grid delivers batches of at most 1 MB.</summary>
    public const int MaxBatchBytes = 1024 * 1024 + 64 * 1024;

    public static IEndpointRouteBuilder MapEventGridWebhook(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/runtime/webhooks/eventgrid", ["OPTIONS"], AbuseProtectionHandshake).AllowAnonymous();
        app.MapPost("/runtime/webhooks/eventgrid", DeliverAsync).AllowAnonymous();
        return app;
    }

    private static IResult AbuseProtectionHandshake(HttpContext context)
    {
        var origin = context.Request.Headers["WebHook-Request-Origin"].FirstOrDefault();
        if (string.IsNullOrEmpty(origin))
        {
            return Results.Problem(statusCode: 400, title: "Not a CloudEvents handshake",
                detail: "OPTIONS needs a WebHook-Request-Origin header.");
        }
        context.Response.Headers["WebHook-Allowed-Origin"] = origin;
        context.Response.Headers["WebHook-Allowed-Rate"] = "*";
        return Results.Ok();
    }

    private static async Task<IResult> DeliverAsync(HttpContext context, FunctionInvoker invoker, IConfiguration configuration)
    {
        var request = context.Request;
        var function = invoker.Find(request.Query["functionName"].FirstOrDefault() ?? "");
        if (function is null || function.Trigger != TriggerKind.EventGrid)
        {
            return Results.Problem(statusCode: 404, title: "Unknown function",
                detail: "functionName must name an eventGridTrigger function of this app.");
        }
        if (!HasSystemKey(request, configuration))
        {
            return Results.Problem(statusCode: 401, title: "Key required", detail: "Send the eventgrid_extension key as ?code=.");
        }
        if (request.ContentLength > MaxBatchBytes)
        {
            return Results.Problem(statusCode: 413, title: "Batch too large", detail: "Event Grid batches are at most 1 MB.");
        }

        var body = await BinaryData.FromStreamAsync(request.Body, context.RequestAborted);
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return Results.Problem(statusCode: 400, title: "Malformed events", detail: e.Message);
        }
        var events = document is JsonArray array ? array.OfType<JsonObject>().ToList()
            : document is JsonObject single ? [single] : [];
        if (events.Count == 0)
        {
            return Results.Problem(statusCode: 400, title: "Malformed events", detail: "Expected an event or an array of events.");
        }

        var isCloudEvents = request.ContentType?.StartsWith("application/cloudevents", StringComparison.OrdinalIgnoreCase) == true
            || events[0].ContainsKey("specversion");
        try
        {
            if (isCloudEvents)
            {
                _ = CloudEvent.ParseMany(body);
            }
            else
            {
                var parsed = EventGridEvent.ParseMany(body);
                if (request.Headers["aeg-event-type"] == "SubscriptionValidation"
                    && parsed.Length > 0 && parsed[0].TryGetSystemEventData(out var system)
                    && system is SubscriptionValidationEventData validation)
                {
                    return Results.Json(new { validationResponse = validation.ValidationCode });
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or KeyNotFoundException)
        {
            return Results.Problem(statusCode: 400, title: "Malformed events", detail: e.Message);
        }

        foreach (var gridEvent in events)
        {
            var data = new JsonObject { [function.TriggerBindingName] = gridEvent.DeepClone() };
            await invoker.InvokeAsync(function, data, [], context.RequestAborted);
        }
        return Results.Ok();
    }

    /// <summary>Parses the event a function received, in whichever schema it came.</summary>
    public static (EventGridEvent? GridEvent, CloudEvent? CloudEvent) ParseEvent(JsonNode? trigger)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        var data = BinaryData.FromString(trigger.ToJsonString());
        return trigger["specversion"] is not null ? (null, CloudEvent.Parse(data)) : (EventGridEvent.Parse(data), null);
    }

    private static bool HasSystemKey(HttpRequest request, IConfiguration configuration)
    {
        var expected = configuration["Functions:Keys:eventgrid_extension"];
        if (string.IsNullOrEmpty(expected))
        {
            return true; // standalone on loopback without a configured key
        }
        var presented = request.Query["code"].FirstOrDefault() ?? "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
    }
}
