using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Azure.Messaging.EventGrid.SystemEvents;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Functions.Drift;
using Panaptico.Functions.Http;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// The event path, as an Event Grid webhook (the isolated Event Grid extension is not served here): the subscription
/// validation handshake (Event Grid schema), the CloudEvents OPTIONS abuse-protection handshake, and delivery of batches
/// in either schema. Each resource-write or blob event names an asset; the library re-checks that one asset
/// (<see cref="ViolationPattern.Evaluate"/>) and opens a change for what it finds, as the scan would. The function key
/// (authLevel Function) is what the subscription's endpoint carries.
/// </summary>
public sealed partial class ResourceEvents(
    ChangeIntake intake, GovernedAccounts accounts, PatternRegistry patterns, RemediationSettings settings, TimeProvider time,
    ILogger<ResourceEvents> logger, DriftEventSink? drift = null)
{
    public const string Route = "events/resources";

    [Function(nameof(ResourceEvents))]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", "options", Route = Route)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (HttpMethods.IsOptions(request.Method))
        {
            return AbuseProtectionHandshake(request);
        }
        var (body, tooLarge) = await RequestBody.ReadBytesAsync(request, BodyLimits.EventBatch, cancellationToken);
        if (body is null)
        {
            return tooLarge!;
        }

        var parsed = Parse(request, body, out var problem);
        if (problem is not null)
        {
            return problem;
        }
        if (parsed.Validation is { } code)
        {
            return Results.Json(new JsonObject { ["validationResponse"] = code });
        }
        var opened = 0;
        foreach (var e in parsed.Events)
        {
            // Drift's own events and the change sources it reads are the drift feature's; the rest re-check assets.
            if (drift is not null && await drift.TryConsumeAsync(e.Id, e.Type, e.Subject, e.Data, cancellationToken))
            {
                continue;
            }
            opened += await RecheckAsync(client, e.Topic, e.Subject, e.Type, cancellationToken);
        }
        logger.LogInformation("{Events} resource events, {Opened} changes opened", parsed.Events.Count, opened);
        return Results.Ok();
    }

    /// <summary>
    /// The asset an event is about, from ARM ids such as <c>…/storageAccounts/acct/blobServices/default/containers/c</c>
    /// (resource writes) or a blob event's topic (the account) and subject (<c>/blobServices/default/containers/c/blobs/…</c>).
    /// </summary>
    public static AssetId? AssetOf(string topic, string subject)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(subject);
        var account = AccountPart().Match(subject) is { Success: true } inSubject ? inSubject : AccountPart().Match(topic);
        if (!account.Success)
        {
            return null;
        }
        var name = account.Groups["account"].Value;
        if (subject.Contains("/containers/", StringComparison.OrdinalIgnoreCase))
        {
            // About a container: that container, or nothing when its name is not one.
            var container = ContainerPart().Match(subject);
            return container.Success && AssetId.TryParse($"{AssetId.Scheme}{name}/{container.Groups["container"].Value}", out var asset) ? asset : null;
        }
        return AssetId.TryParse(AssetId.Scheme + name, out var service) ? service : null;
    }

    /// <summary>Re-checks the asset one event names; returns how many changes it opened.</summary>
    private async Task<int> RecheckAsync(DurableTaskClient client, string topic, string subject, string type, CancellationToken cancellationToken)
    {
        if (AssetOf(topic, subject) is not { } asset)
        {
            logger.LogDebug("Event {Type} names no storage asset: ignored", type);
            return 0;
        }
        if (accounts.Governing(asset) is not { } account)
        {
            logger.LogDebug("{Asset} is not governed: ignored", asset);
            return 0;
        }
        AssetState state;
        try
        {
            state = await account.Connector.ReadAssetAsync(asset, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            logger.LogDebug("{Asset} no longer exists: nothing to check", asset);
            return 0;
        }
        var tags = AccountScan.Overlay(account.AccountTags, state);
        var readAt = time.GetUtcNow();
        var findings = patterns.All.Select(p => p.Evaluate(state, tags, readAt)).OfType<Finding>().ToList();
        var results = await intake.OpenAsync(client, findings, settings.DetectorId, cancellationToken);
        return results.Count(r => r.Opened);
    }

    private static IResult AbuseProtectionHandshake(HttpRequest request)
    {
        var origin = request.Headers["WebHook-Request-Origin"].FirstOrDefault();
        if (string.IsNullOrEmpty(origin))
        {
            return Problems.Invalid("a CloudEvents handshake (OPTIONS) needs a WebHook-Request-Origin header");
        }
        request.HttpContext.Response.Headers["WebHook-Allowed-Origin"] = origin;
        request.HttpContext.Response.Headers["WebHook-Allowed-Rate"] = "*";
        return Results.Ok();
    }

    /// <summary>
    /// The batch in whichever schema it came (CloudEvents by content type or <c>specversion</c>), parsed by
    /// Azure.Messaging.EventGrid; or the subscription validation code; or why it is not a batch of events.
    /// </summary>
    private static Delivery Parse(HttpRequest request, BinaryData body, out IResult? problem)
    {
        problem = null;
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            problem = Problems.Invalid($"the events are not JSON: {e.Message}");
            return Delivery.None;
        }
        var first = document is JsonArray array ? array.FirstOrDefault() as JsonObject : document as JsonObject;
        if (first is null)
        {
            problem = Problems.Invalid("expected an event or an array of events");
            return Delivery.None;
        }
        var isCloudEvents = request.ContentType?.StartsWith("application/cloudevents", StringComparison.OrdinalIgnoreCase) == true
            || first.ContainsKey("specversion");
        try
        {
            if (isCloudEvents)
            {
                return new Delivery(null, [.. CloudEvent.ParseMany(body, skipValidation: false).Select(e => new Delivered(e.Id, e.Source ?? "", e.Subject ?? "", e.Type, e.Data))]);
            }
            var events = EventGridEvent.ParseMany(body);
            if (events.Length > 0 && events[0].TryGetSystemEventData(out var system) && system is SubscriptionValidationEventData validation)
            {
                return new Delivery(validation.ValidationCode, []);
            }
            return new Delivery(null, [.. events.Select(e => new Delivered(e.Id, e.Topic ?? "", e.Subject ?? "", e.EventType, e.Data))]);
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            problem = Problems.Invalid($"malformed events: {e.Message}");
            return Delivery.None;
        }
    }

    private sealed record Delivered(string Id, string Topic, string Subject, string Type, BinaryData? Data);

    private sealed record Delivery(string? Validation, IReadOnlyList<Delivered> Events)
    {
        public static readonly Delivery None = new(null, []);
    }

    [GeneratedRegex(@"/storageAccounts/(?<account>[a-z0-9]{3,24})(/|$)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AccountPart();

    [GeneratedRegex(@"/containers/(?<container>[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9]))(/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPart();
}
