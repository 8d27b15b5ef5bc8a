using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests.Standalone;

public sealed class EventGridWebhookTests : IAsyncLifetime
{
    private const string Webhook = "/runtime/webhooks/eventgrid?functionName=ResourceEvents";
    private readonly Recorder _recorder = new();
    private TestFunctionApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var root = TestFunctionApp.CreateRoot(new Dictionary<string, JsonObject> { ["ResourceEvents"] = Bindings.EventGrid() });
        _app = await TestFunctionApp.StartAsync(HostingMode.Standalone, root, services: services =>
        {
            services.AddSingleton(_recorder);
            services.AddFunction<RecordingFunction>("ResourceEvents");
        });
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task The_event_grid_subscription_validation_handshake_echoes_the_code_and_runs_nothing()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Webhook)
        {
            Content = new StringContent("""
                [{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/s","subject":"",
                  "data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net/api/vr"},
                  "eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-23T10:00:00Z","metadataVersion":"1","dataVersion":"1"}]
                """, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("aeg-event-type", "SubscriptionValidation");

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", body["validationResponse"]!.GetValue<string>());
        Assert.Empty(_recorder.Invocations);
    }

    [Fact]
    public async Task The_cloud_events_abuse_protection_handshake_allows_the_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, Webhook);
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
    }

    [Fact]
    public async Task A_batch_of_event_grid_events_is_delivered_one_invocation_per_event()
    {
        var events = new JsonArray(Enumerable.Range(1, 3).Select(i => (JsonNode)new JsonObject
        {
            ["id"] = $"e{i}",
            ["topic"] = "/subscriptions/s",
            ["subject"] = $"/containers/c{i}",
            ["eventType"] = "Microsoft.Resources.ResourceWriteSuccess",
            ["eventTime"] = "2026-11-23T10:00:00Z",
            ["data"] = new JsonObject { ["n"] = i },
            ["dataVersion"] = "1",
            ["metadataVersion"] = "1",
        }).ToArray());
        using var request = new HttpRequestMessage(HttpMethod.Post, Webhook)
        {
            Content = new StringContent(events.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("aeg-event-type", "Notification");

        var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivered = _recorder.DataOf("ResourceEvents").Select(d => d["eventGridEvent"]!).ToList();
        Assert.Equal(["e1", "e2", "e3"], delivered.Select(e => e["id"]!.GetValue<string>()));
        var (gridEvent, _) = EventGridWebhook.ParseEvent(delivered[0]);
        Assert.Equal("/containers/c1", gridEvent!.Subject);
    }

    [Fact]
    public async Task A_batch_of_cloud_events_is_delivered_one_invocation_per_event()
    {
        var events = """
            [{"specversion":"1.0","id":"c1","source":"/subscriptions/s","type":"Microsoft.Resources.ResourceWriteSuccess","time":"2026-11-23T10:00:00Z","subject":"/containers/a","data":{"n":1}},
             {"specversion":"1.0","id":"c2","source":"/subscriptions/s","type":"Microsoft.Resources.ResourceWriteSuccess","time":"2026-11-23T10:00:01Z","subject":"/containers/b","data":{"n":2}}]
            """;
        var response = await _client.PostAsync(Webhook, new StringContent(events, Encoding.UTF8, "application/cloudevents-batch+json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivered = _recorder.DataOf("ResourceEvents").Select(d => d["eventGridEvent"]!).ToList();
        Assert.Equal(2, delivered.Count);
        var (_, cloudEvent) = EventGridWebhook.ParseEvent(delivered[1]);
        Assert.Equal("/containers/b", cloudEvent!.Subject);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("""[{"id":"x"}]""")]
    public async Task Malformed_events_are_refused_with_a_problem_and_run_nothing(string body)
    {
        var response = await _client.PostAsync(Webhook, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(_recorder.Invocations);
    }
}
