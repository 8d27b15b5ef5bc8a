using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Connectors.Drift.Snapshots;

namespace Panaptico.Functions.Tests.Drift;

/// <summary>
/// The routing policy's other answers through the app: a drift on a signed decision goes back to its approver; a
/// malformed snapshot and a broken policy file are refused before anything is stored or started; settle windows are
/// per source system.
/// </summary>
public sealed class DriftActionsOverHttpTests
{
    private const string Account = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod";
    private static readonly DateTimeOffset T = new(2026, 4, 15, 3, 12, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_drift_on_a_signed_decision_is_routed_to_its_original_approver_with_the_decision_attached()
    {
        await using var world = await DriftWorld.StartAsync();
        var obj = DriftSweepOverHttpTests.Object("acmeprod", Account, "minimumTlsVersion", "TLS1_2");
        obj["fields"]!["minimumTlsVersion"]!["reason"] = new JsonObject { ["kind"] = "decision-record", ["id"] = "DR-0212" };
        Assert.Equal(HttpStatusCode.OK, (await world.PutObjectAsync("acmeprod", obj)).StatusCode);
        world.Live["acmeprod"] = new() { ["minimumTlsVersion"] = "TLS1_0" };
        await world.PostSourceAsync("activity-log", DriftSweepOverHttpTests.ActivityLog("evt-dr", Account, T.AddMinutes(-2), "john@contoso.com"));

        await world.SweepAsync(T);

        var row = Assert.Single((await world.FeedAsync())["rows"]!.AsArray())!;
        Assert.Equal(("reapproval", "signed-decision"), (row["class"]!.GetValue<string>(), row["rule"]!.GetValue<string>()));
        var routed = Assert.Single(await world.NotificationsAsync(), n => n.Kind == "drift.reapproval");
        Assert.Equal("approver-1", routed.Recipient);
        Assert.Equal("DR-0212", routed.Data!["decisionRecord"]!.GetValue<string>());
        Assert.StartsWith("DRIFT-APPROVAL-", routed.Data["task"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_snapshot_is_refused_naming_each_field_and_nothing_is_stored()
    {
        await using var world = await DriftWorld.StartAsync();
        var warehouse = new JsonObject
        {
            ["id"] = "snowflake/warehouse/REPORTING_WH",
            ["kind"] = "warehouse",
            ["system"] = "snowflake",
            ["connector"] = SnapshotDriftConnector.ConnectorKind,
            ["scope"] = "account/acme",
            ["owner"] = new JsonObject { ["team"] = "data-platform", ["onCall"] = "oncall-data", ["approverOfRecord"] = "rlee" },
            ["fields"] = new JsonObject { ["size"] = new JsonObject { ["value"] = "Large", ["reason"] = new JsonObject { ["kind"] = "terraform-run", ["id"] = "run-1" } } },
        };
        Assert.Equal(HttpStatusCode.OK, (await world.PutObjectAsync("snowflake/warehouse/REPORTING_WH", warehouse)).StatusCode);
        const string Malformed = """
            {"snapshotId":"sf-bad","objectId":"snowflake/warehouse/REPORTING_WH","system":"snowflake","kind":"warehouse","observedAt":"2026-04-15T03:10:00Z",
             "state":{"name":"REPORTING_WH","size":"Huge","autoSuspend":600,"autoResume":true,"minClusterCount":1,"maxClusterCount":0,"scalingPolicy":"STANDARD"}}
            """;

        var answer = await world.Operator.PostAsync($"api/drift/snapshots/{Uri.EscapeDataString("snowflake/warehouse/REPORTING_WH")}",
            new StringContent(Malformed, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
        var problem = (await answer.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(("invalid", "drift.snapshot-invalid"), (problem["code"]!.GetValue<string>(), problem["driftCode"]!.GetValue<string>()));
        var fields = problem["problems"]!.AsArray().Select(p => p!["field"]!.GetValue<string>()).ToList();
        Assert.Contains("state.size", fields);
        Assert.Contains("state.maxClusterCount", fields);
        Assert.Null(await world.App.Services.GetRequiredService<ISnapshotStore>().LatestAsync("snowflake/warehouse/REPORTING_WH", CancellationToken.None));
    }

    [Fact]
    public async Task A_routing_policy_with_an_unknown_action_fails_start_naming_its_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"policy-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, """
            id: ROUTING-POLICY
            version: 15
            rules:
              - id: no-source
                when: { attribution: unknown }
                class: critical
                actions: [freeze, open-a-bridge-call]
              - id: rest
                class: notable
                actions: [governed-task]
            """);
        try
        {
            var failed = await Assert.ThrowsAnyAsync<Exception>(() => DriftWorld.StartAsync(new Dictionary<string, string?> { ["Drift:RoutingPolicyPath"] = path }));
            Assert.Contains("open-a-bridge-call", failed.ToString(), StringComparison.Ordinal);
            Assert.Contains("line 7", failed.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_settle_window_set_for_one_source_system_applies_to_its_objects_only()
    {
        // Azure's sources settle within a minute here; every other system keeps the default 15 minutes.
        await using var world = await DriftWorld.StartAsync(new Dictionary<string, string?> { ["Drift:SettleWindows:azure"] = "00:01:00" });
        await world.DefineAsync("acmeprod", Account, "allowBlobPublicAccess", false);
        var okta = DriftSweepOverHttpTests.Object("fin-admins", "okta/group/fin-admins", "members", new JsonArray("a.chen"));
        okta["system"] = "okta";
        Assert.Equal(HttpStatusCode.OK, (await world.PutObjectAsync("fin-admins", okta)).StatusCode);
        world.Live["acmeprod"]["allowBlobPublicAccess"] = true;
        world.Live["fin-admins"] = new() { ["members"] = new JsonArray("a.chen", "mallory") };

        await world.SweepAsync(T);
        await world.SweepAsync(T.AddMinutes(2));

        var feed = await world.FeedAsync();
        var row = Assert.Single(feed["rows"]!.AsArray())!;
        Assert.Equal(("critical", "acmeprod"), (row["class"]!.GetValue<string>(), row["objects"]![0]!.GetValue<string>()));
        Assert.Equal(1, feed["counters"]!["pending"]!.GetValue<int>());
    }
}
