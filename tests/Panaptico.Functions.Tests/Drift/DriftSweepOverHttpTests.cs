using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.TestHost;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Drift;
using Panaptico.Core.Evidence;
using Panaptico.Core.Identity;
using Panaptico.Functions.Drift;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Notifications;

namespace Panaptico.Functions.Tests.Drift;

/// <summary>
/// Drift reconciliation through the function app on Azurite: the graph defined over HTTP, sweeps run as orchestrations
/// (started as the timer starts them, at chosen occurrences, so settle windows pass without waiting), sources posted
/// in their real shapes, drift CloudEvents published to the app's own Event Grid webhook and consumed there.
/// </summary>
public sealed class DriftSweepOverHttpTests
{
    private const string Account = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod";
    private static readonly DateTimeOffset T = new(2026, 4, 15, 3, 12, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_console_change_is_found_attributed_through_the_activity_log_classified_published_consumed_and_in_the_feed()
    {
        await using var world = await DriftWorld.StartAsync();
        await world.DefineAsync("acmeprod", Account, "allowBlobPublicAccess", false);
        world.Live["acmeprod"]["allowBlobPublicAccess"] = true;
        var posted = await world.PostSourceAsync("activity-log", ActivityLog("evt-1", Account, T.AddMinutes(-2), "john@contoso.com"));
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);

        await world.SweepAsync(T);

        var feed = await world.FeedAsync();
        var row = Assert.Single(feed["rows"]!.AsArray())!;
        Assert.Equal("attributed", row["attribution"]!["status"]!.GetValue<string>());
        Assert.Contains("john@contoso.com", row["attribution"]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("notable", row["class"]!.GetValue<string>());
        Assert.Equal((1, 1, 0), (feed["counters"]!["drifted"]!.GetValue<int>(), feed["counters"]!["attributed"]!.GetValue<int>(), feed["counters"]!["unknown"]!.GetValue<int>()));
        Assert.Equal(1, feed["counters"]!["fieldsChecked"]!.GetValue<int>());
        Assert.StartsWith("DRIFT-FEED-", feed["id"]!.GetValue<string>(), StringComparison.Ordinal);
        // Published as CloudEvents to the app's own webhook and consumed there into the field's history.
        var history = await world.PollHistoryAsync("acmeprod", "allowBlobPublicAccess", h => h.Count >= 2);
        Assert.Contains(history, e => e!["event"]!["event"]!.GetValue<string>() == "drift.reported");
        Assert.Contains(history, e => e!["event"]!["event"]!.GetValue<string>() == "drift.classified");
    }

    [Fact]
    public async Task Overlapping_sweeps_do_not_report_a_drift_twice()
    {
        await using var world = await DriftWorld.StartAsync();
        await world.DefineAsync("acmeprod", Account, "allowBlobPublicAccess", false);
        world.Live["acmeprod"]["allowBlobPublicAccess"] = true;
        await world.PostSourceAsync("activity-log", ActivityLog("evt-2", Account, T.AddMinutes(-2), "john@contoso.com"));

        // Two occurrences in flight at once, and one of them fired twice.
        var first = DriftSweepFunctions.StartAsync(world.App.Durable, T, CancellationToken.None);
        var again = DriftSweepFunctions.StartAsync(world.App.Durable, T, CancellationToken.None);
        var next = DriftSweepFunctions.StartAsync(world.App.Durable, T.AddMinutes(1), CancellationToken.None);
        await Task.WhenAll(first, again, next);
        await world.WaitAsync(T);
        await world.WaitAsync(T.AddMinutes(1));

        var feed = await world.FeedAsync();
        var row = Assert.Single(feed["rows"]!.AsArray())!;
        Assert.Single(row["drifts"]!.AsArray());
        // One governed task for the owner: its change-record deadline (7 days after T, long past) escalates it once.
        var escalations = await world.PollNotificationsAsync("drift.escalated", n => n >= 1);
        Assert.Equal(1, escalations);
    }

    [Fact]
    public async Task A_pending_drift_is_attributed_when_its_source_arrives_inside_the_settle_window()
    {
        await using var world = await DriftWorld.StartAsync();
        await world.DefineAsync("acmeprod", Account, "allowBlobPublicAccess", false);
        world.Live["acmeprod"]["allowBlobPublicAccess"] = true;

        await world.SweepAsync(T);
        var pending = await world.FeedAsync();
        Assert.Empty(pending["rows"]!.AsArray());
        Assert.Equal(1, pending["counters"]!["pending"]!.GetValue<int>());

        // The Activity Log record arrives minutes late, before the window ends.
        await world.PostSourceAsync("activity-log", ActivityLog("evt-3", Account, T.AddMinutes(-1), "john@contoso.com"));
        await world.SweepAsync(T.AddMinutes(5));

        var row = Assert.Single((await world.FeedAsync())["rows"]!.AsArray())!;
        Assert.Equal("attributed", row["attribution"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unattributed_drift_turns_critical_after_the_settle_window_with_a_page_and_a_sealed_forensic_bundle()
    {
        await using var world = await DriftWorld.StartAsync();
        await world.DefineAsync("acmeprod", Account, "allowBlobPublicAccess", false);
        world.Live["acmeprod"]["allowBlobPublicAccess"] = true;

        await world.SweepAsync(T);
        await world.SweepAsync(T.AddMinutes(20));

        var row = Assert.Single((await world.FeedAsync())["rows"]!.AsArray())!;
        Assert.Equal(("critical", "unknown"), (row["class"]!.GetValue<string>(), row["attribution"]!["status"]!.GetValue<string>()));
        var page = Assert.Single(await world.NotificationsAsync(), n => n.Kind == "drift.page");
        Assert.Equal("oncall-storage", page.Recipient);
        var bundles = await world.App.Services.GetRequiredService<BundleStore>().ListAsync(new BundleSubject(BundleSubject.Drift, row["rowId"]!.GetValue<string>()), CancellationToken.None);
        Assert.Single(bundles);
    }

    [Theory]
    [InlineData("activity-log", """{"eventTimestamp":"not a time"}""")]
    [InlineData("cloudtrail", "[]")]
    [InlineData("nonsense", """{"id":"x"}""")]
    public async Task A_malformed_or_unknown_source_record_is_refused_and_nothing_is_stored(string kind, string body)
    {
        await using var world = await DriftWorld.StartAsync();
        var answer = await world.PostSourceAsync(kind, JsonNode.Parse(body)!);
        Assert.True(answer.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{answer.StatusCode}");
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await world.SourceRowsAsync());
    }

    [Fact]
    public async Task Intent_for_an_unknown_connector_and_an_oversized_body_are_refused_and_the_graph_is_unchanged()
    {
        await using var world = await DriftWorld.StartAsync(new Dictionary<string, string?> { ["Drift:MaxBodyBytes"] = "2048" });
        var unknown = await world.PutObjectAsync("ghost", Object("ghost", Account, "x", 1, connector: "no-such-connector"));
        var huge = Object("big", Account, "x", 1);
        huge["scope"] = new string('x', 4096);
        var oversized = await world.PutObjectAsync("big", huge);
        var malformed = await world.Operator.PutAsync("api/drift/graph/objects/bad", new StringContent("{ not json", Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.BadRequest), (unknown.StatusCode, oversized.StatusCode, malformed.StatusCode));
        Assert.Equal("invalid", (await unknown.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        var graph = await world.Operator.GetFromJsonAsync<JsonObject>("api/drift/graph");
        Assert.Empty(graph!["objects"]!.AsArray());
    }

    [Fact]
    public async Task Defining_intent_takes_the_operator_role_and_reading_takes_any()
    {
        await using var world = await DriftWorld.StartAsync();
        var auditor = world.App.CreateClient(world.App.Issuer.Issue("aud-1", "Auditor", [Role.Auditor], TimeSpan.FromHours(1)));
        var put = await auditor.PutAsJsonAsync("api/drift/graph/objects/acmeprod", Object("acmeprod", Account, "x", 1));
        var policy = await auditor.GetFromJsonAsync<JsonObject>("api/drift/policy");
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal("ROUTING-POLICY-v14", policy!["name"]!.GetValue<string>());
    }

    internal static JsonObject ActivityLog(string id, string resource, DateTimeOffset at, string caller) => new()
    {
        ["eventDataId"] = id,
        ["caller"] = caller,
        ["claims"] = new JsonObject { ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"] = caller, ["ipaddr"] = "192.0.2.7" },
        ["correlationId"] = "corr-" + id,
        ["operationName"] = new JsonObject { ["value"] = "Microsoft.Storage/storageAccounts/write" },
        ["status"] = new JsonObject { ["value"] = "Succeeded" },
        ["eventTimestamp"] = at.ToString("O"),
        ["submissionTimestamp"] = at.AddMinutes(3).ToString("O"),
        ["resourceId"] = resource,
    };

    internal static JsonObject Object(string id, string alias, string field, JsonNode? value, string connector = TestConnector.ConnectorKind) => new()
    {
        ["id"] = id,
        ["kind"] = "storage-account",
        ["system"] = "azure",
        ["connector"] = connector,
        ["scope"] = "finance-prod",
        ["aliases"] = new JsonArray(alias),
        ["owner"] = new JsonObject { ["team"] = "storage-team", ["onCall"] = "oncall-storage", ["approverOfRecord"] = "approver-1" },
        ["fields"] = new JsonObject { [field] = new JsonObject { ["value"] = value, ["reason"] = new JsonObject { ["kind"] = "change-record", ["id"] = "CHG-00604" } } },
    };
}

/// <summary>A connector over values the test sets (the seam every real connector implements).</summary>
public sealed class TestConnector : IDriftConnector
{
    public const string ConnectorKind = "test";

    public ConcurrentDictionary<string, Dictionary<string, JsonNode?>> Live { get; } = new();

    public string Kind => ConnectorKind;

    public Task<LiveObject> ReadAsync(GraphObject obj, CancellationToken ct) =>
        Task.FromResult(new LiveObject(obj.Id, Live.TryGetValue(obj.Id, out var fields) ? fields.ToDictionary(f => f.Key, f => f.Value?.DeepClone()) : [], DateTimeOffset.UtcNow));
}

internal sealed class DriftWorld : IAsyncDisposable
{
    private readonly TestConnector _connector;

    private DriftWorld(TestFunctionApp app, TestConnector connector)
    {
        App = app;
        _connector = connector;
        Operator = app.CreateClient(app.Issuer.Issue("op-1", "Operator", [Role.Operator], TimeSpan.FromHours(1)));
    }

    public TestFunctionApp App { get; }
    public HttpClient Operator { get; }
    public ConcurrentDictionary<string, Dictionary<string, JsonNode?>> Live => _connector.Live;

    public static async Task<DriftWorld> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var connector = new TestConnector();
        var all = new Dictionary<string, string?>
        {
            ["DriftSweepSchedule"] = "0 0 0 1 1 *",
            ["Functions:Keys:default"] = "drift-test-key",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }
        var app = await TestFunctionApp.StartAsync(all, services =>
        {
            services.AddSingleton<IDriftConnector>(connector);
            // The publisher reaches the app's own webhook through the in-memory server.
            services.AddSingleton<HttpPipelineTransport>(sp => new HttpClientTransport(new HttpClient(((TestServer)sp.GetRequiredService<IServer>()).CreateHandler())));
        });
        return new DriftWorld(app, connector);
    }

    public async Task DefineAsync(string id, string alias, string field, JsonNode? value)
    {
        var answer = await PutObjectAsync(id, DriftSweepOverHttpTests.Object(id, alias, field, value));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Live[id] = new Dictionary<string, JsonNode?> { [field] = value?.DeepClone() };
    }

    public Task<HttpResponseMessage> PutObjectAsync(string id, JsonObject body) =>
        Operator.PutAsync($"api/drift/graph/objects/{Uri.EscapeDataString(id)}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PostSourceAsync(string kind, JsonNode body) =>
        Operator.PostAsync($"api/drift/sources/{kind}", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

    public async Task SweepAsync(DateTimeOffset occurrence)
    {
        Assert.True(await DriftSweepFunctions.StartAsync(App.Durable, occurrence, CancellationToken.None));
        await WaitAsync(occurrence);
    }

    public async Task WaitAsync(DateTimeOffset occurrence)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var done = await App.Durable.WaitForInstanceCompletionAsync(DriftSweepFunctions.InstanceId(DriftSweepFunctions.SweepId(occurrence)), getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
    }

    public async Task<JsonObject> FeedAsync() => (await Operator.GetFromJsonAsync<JsonObject>("api/drift/feed"))!;

    public async Task<JsonArray> PollHistoryAsync(string objectId, string field, Func<JsonArray, bool> until)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var history = (await Operator.GetFromJsonAsync<JsonObject>($"api/drift/objects/{objectId}/fields/{field}/history"))!["events"]!.AsArray();
            if (until(history) || DateTimeOffset.UtcNow > deadline)
            {
                return history;
            }
            await Task.Delay(200);
        }
    }

    public async Task<IReadOnlyList<Core.Notifications.Notification>> NotificationsAsync() =>
        await App.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None);

    public async Task<int> PollNotificationsAsync(string kind, Func<int, bool> until)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var count = (await NotificationsAsync()).Count(n => n.Kind == kind);
            if (until(count) || DateTimeOffset.UtcNow > deadline)
            {
                return count;
            }
            await Task.Delay(200);
        }
    }

    public async Task<List<Azure.Data.Tables.TableEntity>> SourceRowsAsync()
    {
        var rows = new List<Azure.Data.Tables.TableEntity>();
        await foreach (var row in App.Services.GetRequiredService<Panaptico.Storage.Drift.DriftTables>().Sources.QueryAsync<Azure.Data.Tables.TableEntity>())
        {
            rows.Add(row);
        }
        return rows;
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
