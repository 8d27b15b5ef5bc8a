using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Panaptico.Functions.Remediation;

namespace Panaptico.Functions.Drift;

/// <summary>
/// Every drift and every classification goes out as a CloudEvent through <see cref="EventGridPublisherClient"/>: to the
/// custom topic when <c>Drift:EventGrid:TopicEndpoint</c> is set (Azure: the topic's subscription delivers to
/// <see cref="ResourceEvents"/>), otherwise straight to the app's own Event Grid webhook, so the same function consumes
/// it in both hosts. The event id is the drift's or classification's own id, so a re-published event is one event.
/// </summary>
public sealed class DriftEventPublisher(
    IConfiguration configuration, IServiceProvider services, ILogger<DriftEventPublisher> logger)
{
    public const string Source = "/panaptico/drift";
    public const string DriftedType = "Panaptico.Drift.Drifted";
    public const string ClassifiedType = "Panaptico.Drift.Classified";

    /// <summary>Our own source streams may come in through Event Grid too: <c>Panaptico.Drift.Source.{kind}</c>, the record as data.</summary>
    public const string SourceTypePrefix = "Panaptico.Drift.Source.";

    private EventGridPublisherClient? _client;

    public static CloudEvent Event(string type, string id, string subject, JsonNode data) =>
        new(Source, type, BinaryData.FromString(data.ToJsonString()), "application/json") { Id = id, Subject = subject };

    public async Task PublishAsync(IReadOnlyList<CloudEvent> events, CancellationToken cancellationToken)
    {
        // Event Grid takes at most 1 MB a call: small batches keep well under it.
        foreach (var batch in events.Chunk(50))
        {
            await Client().SendEventsAsync(batch, cancellationToken);
        }
        logger.LogInformation("{Events} drift events published", events.Count);
    }

    private EventGridPublisherClient Client() => _client ??= Create();

    private EventGridPublisherClient Create()
    {
        var options = new EventGridPublisherClientOptions();
        // Tests hand in a transport that reaches the in-memory server.
        if (services.GetService<HttpPipelineTransport>() is { } transport)
        {
            options.Transport = transport;
        }
        if (configuration["Drift:EventGrid:TopicEndpoint"] is { Length: > 0 } topic)
        {
            return new EventGridPublisherClient(new Uri(topic), services.GetRequiredService<TokenCredential>(), options);
        }

        // Standalone: the app's own webhook, with its function key (the header the standalone host checks).
        var key = configuration[$"Functions:Keys:{nameof(ResourceEvents)}"] ?? configuration["Functions:Keys:default"]
            ?? throw new InvalidOperationException($"publishing drift events to the app's own webhook needs Functions:Keys:{nameof(ResourceEvents)} (or Functions:Keys:default)");
        options.AddPolicy(new FunctionKeyPolicy(key), HttpPipelinePosition.PerCall);
        return new EventGridPublisherClient(new Uri(OwnBaseAddress(), "api/" + ResourceEvents.Route), new Azure.AzureKeyCredential("standalone"), options);
    }

    /// <summary><c>Drift:EventGrid:SelfEndpoint</c>, or the first address the server listens on.</summary>
    private Uri OwnBaseAddress()
    {
        var configured = configuration["Drift:EventGrid:SelfEndpoint"]
            ?? services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? "http://localhost/";
        configured = configured.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal).Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal);
        return new Uri(configured.EndsWith('/') ? configured : configured + "/");
    }

    private sealed class FunctionKeyPolicy(string key) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => message.Request.Headers.SetValue("x-functions-key", key);
    }
}
