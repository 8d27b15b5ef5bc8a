using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Hosting;

namespace Panaptico.Functions.Tests.Hosting;

/// <summary>The custom-handler contract, with payloads shaped as the Functions host sends them.</summary>
public sealed class InvocationContractTests : IAsyncLifetime
{
    private readonly Recorder _recorder = new();
    private TestFunctionApp _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var root = TestFunctionApp.CreateRoot(new Dictionary<string, JsonObject>
        {
            ["SweepTimer"] = Bindings.Timer("0 */5 * * * *"),
            ["StepQueue"] = Bindings.Queue("steps"),
            ["ResourceEvents"] = Bindings.EventGrid(),
        });
        _app = await TestFunctionApp.StartAsync(HostingMode.CustomHandler, root, services: services =>
        {
            services.AddSingleton(_recorder);
            services.AddFunction<RecordingFunction>("SweepTimer");
            services.AddFunction<RecordingFunction>("StepQueue");
            services.AddFunction<RecordingFunction>("ResourceEvents");
        });
        _client = _app.CreateClient();
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_timer_invocation_gets_the_timer_info_and_answers_outputs_logs_and_return_value()
    {
        var response = await _client.PostAsync("/SweepTimer", Json("""
            {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-11-23T10:00:00Z","Next":"2026-11-23T10:05:00Z","LastUpdated":"2026-11-23T10:00:00Z"},"IsPastDue":false}},
             "Metadata":{"sys":{"MethodName":"SweepTimer","UtcNow":"2026-11-23T10:05:00.0123Z","RandGuid":"3b5e2a5e-1f53-4c8e-9a60-2a8f1f0f4c11"}}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(new JsonObject().ToJsonString(), body["Outputs"]!.ToJsonString());
        Assert.Equal("SweepTimer ran", body["Logs"]![0]!.GetValue<string>());
        Assert.Equal("done", body["ReturnValue"]!.GetValue<string>());
        var seen = Assert.Single(_recorder.DataOf("SweepTimer"));
        Assert.False(seen["timer"]!["IsPastDue"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_queue_invocation_gets_the_message_and_its_dequeue_count()
    {
        var response = await _client.PostAsync("/StepQueue", Json("""
            {"Data":{"message":"{\"changeId\":\"CHG-2026-0418-114\",\"stage\":\"backup\"}"},
             "Metadata":{"DequeueCount":2,"ExpirationTime":"2026-11-30T10:00:00+00:00","Id":"5b1c9f4e-7d1e-4e8a-9c2e-1f2a3b4c5d6e","InsertionTime":"2026-11-23T10:00:00+00:00","NextVisibleTime":"2026-11-23T10:10:00+00:00","PopReceipt":"AgAAAAMAAAAAAAAA","sys":{"MethodName":"StepQueue","UtcNow":"2026-11-23T10:00:01Z"}}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (_, data, metadata) = Assert.Single(_recorder.Invocations, i => i.Function == "StepQueue");
        Assert.Contains("CHG-2026-0418-114", data["message"]!.GetValue<string>());
        Assert.Equal(2, metadata["DequeueCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_event_grid_invocation_gets_the_event()
    {
        var response = await _client.PostAsync("/ResourceEvents", Json("""
            {"Data":{"eventGridEvent":{"id":"e1","topic":"/subscriptions/s/resourceGroups/rg","subject":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct","eventType":"Microsoft.Resources.ResourceWriteSuccess","eventTime":"2026-11-23T10:00:00Z","data":{"operationName":"Microsoft.Storage/storageAccounts/blobServices/containers/write"},"dataVersion":"","metadataVersion":"1"}},
             "Metadata":{"sys":{"MethodName":"ResourceEvents","UtcNow":"2026-11-23T10:00:01Z"}}}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var seen = Assert.Single(_recorder.DataOf("ResourceEvents"));
        Assert.Equal("Microsoft.Resources.ResourceWriteSuccess", seen["eventGridEvent"]!["eventType"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_http_function_is_served_at_its_route_for_the_forwarded_request()
    {
        var response = await _client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("healthy", body["status"]!.GetValue<string>());
        Assert.True(body["storage"]!["table"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("not json at all", "not JSON")]
    [InlineData("""{"Metadata":{}}""", "'Data' object")]
    [InlineData("""{"Data":[],"Metadata":{}}""", "'Data' object")]
    [InlineData("""{"Data":{"other":1}}""", "'message' binding")]
    [InlineData("""{"Data":{"message":"x"},"Metadata":"nope"}""", "'Metadata' must be an object")]
    public async Task A_malformed_payload_is_refused_with_a_problem_and_runs_nothing(string payload, string reason)
    {
        var response = await _client.PostAsync("/StepQueue", Json(payload));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(_recorder.Invocations);
    }

    [Fact]
    public async Task An_unknown_function_is_404_with_a_problem()
    {
        var response = await _client.PostAsync("/NoSuchFunction", Json("""{"Data":{},"Metadata":{}}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
