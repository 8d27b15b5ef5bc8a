using System.Text.Json.Nodes;
using Panaptico.Connectors.Drift.Snapshots;

namespace Panaptico.Connectors.Tests.Drift;

public sealed class SnapshotSchemaTests
{
    [Fact]
    public void A_CrowdStrike_sensor_policy_reads_its_prevention_mode_and_update_policy()
    {
        var fields = Fields(SnapshotExamples.CrowdStrike);

        Assert.Equal("monitor-only", fields["preventionMode"]!.GetValue<string>());
        Assert.Equal("n-1", fields["sensorUpdatePolicy.build"]!.GetValue<string>());
        Assert.Equal("ENABLED", fields["sensorUpdatePolicy.uninstallProtection"]!.GetValue<string>());
        Assert.True(fields["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public void An_Okta_group_reads_its_members_as_a_sorted_set_of_lowercase_logins()
    {
        var fields = Fields(SnapshotExamples.Okta);

        Assert.Equal("""["a.chen@contoso.com","j.tran@contoso.com","s.okafor@contoso.com"]""", fields["members"]!.ToJsonString());
    }

    [Fact]
    public void A_Snowflake_warehouse_reads_size_auto_suspend_and_cluster_counts()
    {
        var fields = Fields(SnapshotExamples.Snowflake);

        Assert.Equal("Large", fields["size"]!.GetValue<string>());
        Assert.Equal(600, fields["autoSuspend"]!.GetValue<long>());
        Assert.Equal(1, fields["minClusterCount"]!.GetValue<int>());
        Assert.Equal(3, fields["maxClusterCount"]!.GetValue<int>());
    }

    [Fact]
    public void AWS_KMS_rotation_reads_one_rotation_flag_and_period_per_key()
    {
        var fields = Fields(SnapshotExamples.AwsKms);

        Assert.False(fields["keys.1234abcd-12ab-34cd-56ef-1234567890ab.keyRotationEnabled"]!.GetValue<bool>());
        Assert.Null(fields["keys.1234abcd-12ab-34cd-56ef-1234567890ab.rotationPeriodInDays"]);
        Assert.Equal(365, fields["keys.0987dcba-09fe-87dc-65ba-ab0987654321.rotationPeriodInDays"]!.GetValue<int>());
        Assert.Equal(3, fields["keyCount"]!.GetValue<int>());
    }

    [Fact]
    public void A_Datadog_monitor_reads_query_thresholds_and_whom_it_notifies()
    {
        var fields = Fields(SnapshotExamples.Datadog);

        Assert.Equal("percentile(last_5m):p99:trace.http.request{service:auth} > 0.8", fields["query"]!.GetValue<string>());
        Assert.Equal(0.8m, fields["thresholds.critical"]!.GetValue<decimal>());
        Assert.Equal(0.5m, fields["thresholds.warning"]!.GetValue<decimal>());
        Assert.Equal("""["@pagerduty-auth-oncall","@slack-auth-alerts"]""", fields["notify"]!.ToJsonString());
    }

    [Fact]
    public void A_Vault_PKI_role_reads_its_TTLs_in_seconds_and_allowed_domains_as_a_set()
    {
        var fields = Fields(SnapshotExamples.Vault);

        Assert.Equal(2_592_000, fields["maxTtl"]!.GetValue<long>());
        Assert.Equal(86_400, fields["ttl"]!.GetValue<long>());
        Assert.Equal("""["contoso.com","svc.contoso.com"]""", fields["allowedDomains"]!.ToJsonString());
    }

    [Fact]
    public void A_Workday_integration_system_user_reads_status_password_policy_and_security_groups()
    {
        var fields = Fields(SnapshotExamples.Workday);

        Assert.Equal("Active", fields["status"]!.GetValue<string>());
        Assert.True(fields["passwordNeverExpires"]!.GetValue<bool>());
        Assert.Equal("""["ISSG_Finance_Integrations","ISSG_Payroll_Read"]""", fields["securityGroups"]!.ToJsonString());
    }

    [Theory]
    [InlineData(nameof(SnapshotExamples.CrowdStrike), "state.preventionMode", "\"monitor-only\"", "\"off\"", "'off' is not one of prevent, detect, monitor-only, disabled")]
    [InlineData(nameof(SnapshotExamples.CrowdStrike), "state.sensorUpdatePolicy.build", "\"build\":\"n-1\",", "", "is required")]
    [InlineData(nameof(SnapshotExamples.Okta), "state.members[1].login", "\"login\":\"a.chen@contoso.com\"", "\"login\":\"\"", "must be a non-empty string")]
    [InlineData(nameof(SnapshotExamples.Snowflake), "state.maxClusterCount", "\"maxClusterCount\":3", "\"maxClusterCount\":0", "0 is outside 1..300")]
    [InlineData(nameof(SnapshotExamples.Snowflake), "state.size", "\"Large\"", "\"L\"", "'L' is not one of X-Small")]
    [InlineData(nameof(SnapshotExamples.AwsKms), "state.keys[1].rotationPeriodInDays", "\"rotationPeriodInDays\":365", "\"rotationPeriodInDays\":30", "30 is outside 90..2560")]
    [InlineData(nameof(SnapshotExamples.AwsKms), "state.keys[0].keyRotationEnabled", "\"keyRotationEnabled\":false", "\"keyRotationEnabled\":\"no\"", "has the wrong type")]
    [InlineData(nameof(SnapshotExamples.Datadog), "state.options.thresholds.critical", "\"critical\":0.8,", "", "is required")]
    [InlineData(nameof(SnapshotExamples.Vault), "state.maxTtl", "\"720h\"", "\"a month\"", "is not a duration")]
    [InlineData(nameof(SnapshotExamples.Workday), "state.status", "\"Active\"", "\"active-ish\"", "is not one of Active, Disabled, Locked")]
    [InlineData(nameof(SnapshotExamples.Workday), "state.passwordNeverExpire", "\"passwordNeverExpires\"", "\"passwordNeverExpire\"", "is not a field of this schema")]
    [InlineData(nameof(SnapshotExamples.Snowflake), "kind", "\"kind\":\"warehouse\"", "\"kind\":\"database\"", "snowflake has no snapshot kind 'database'; known: warehouse")]
    [InlineData(nameof(SnapshotExamples.Okta), "observedAt", "\"2026-04-15T03:10:00Z\"", "\"2026-04-15 03:10\"", "must be an ISO 8601 time with a zone")]
    [InlineData(nameof(SnapshotExamples.Datadog), "snapshotId", "\"dd-0415-0310\"", "\"dd/0415\"", "may hold only letters, digits")]
    public void A_malformed_snapshot_is_refused_naming_the_field(string example, string field, string replace, string with, string reason)
    {
        var json = Example(example);
        Assert.Contains(replace, json, StringComparison.Ordinal);

        var refused = Assert.Throws<SnapshotInvalidException>(() => SnapshotSchemas.Parse(json.Replace(replace, with, StringComparison.Ordinal)));

        Assert.Equal("drift.snapshot-invalid", refused.Code);
        var problem = Assert.Single(refused.Problems);
        Assert.Equal(field, problem.Field);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
        Assert.Contains(field, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_is_not_JSON_or_too_large_is_refused()
    {
        var notJson = Assert.Throws<SnapshotInvalidException>(() => SnapshotSchemas.Parse("{\"snapshotId\":"));
        var tooLarge = Assert.Throws<SnapshotInvalidException>(() => SnapshotSchemas.Parse(new string(' ', SnapshotSchemas.MaxBytes + 1)));

        Assert.Contains("is not JSON", Assert.Single(notJson.Problems).Reason, StringComparison.Ordinal);
        Assert.Contains("a snapshot is at most", Assert.Single(tooLarge.Problems).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_snapshot_round_trips_through_its_stored_form()
    {
        foreach (var example in All)
        {
            var snapshot = SnapshotSchemas.Parse(example);
            var again = SnapshotSchemas.Parse(snapshot.ToJson());

            Assert.Equal(snapshot.ToJson().ToString(), again.ToJson().ToString());
            Assert.Equal(
                new JsonObject(snapshot.State.ToFields().Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone()))).ToJsonString(),
                new JsonObject(again.State.ToFields().Select(f => KeyValuePair.Create(f.Key, f.Value?.DeepClone()))).ToJsonString());
        }
    }

    private static readonly string[] All =
    [
        SnapshotExamples.CrowdStrike, SnapshotExamples.Okta, SnapshotExamples.Snowflake, SnapshotExamples.AwsKms,
        SnapshotExamples.Datadog, SnapshotExamples.Vault, SnapshotExamples.Workday,
    ];

    private static IReadOnlyDictionary<string, JsonNode?> Fields(string json) => SnapshotSchemas.Parse(json).State.ToFields();

    private static string Example(string name) =>
        (string)typeof(SnapshotExamples).GetField(name)!.GetValue(null)!;
}
