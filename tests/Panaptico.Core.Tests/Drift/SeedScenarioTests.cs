using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

/// <summary>
/// The seed's sweep, built to produce it: 92,418 fields checked, 217 drifted, 203 attributed, 14 unknown source.
/// Expected: one Terraform run (linked to CHG-00604) changed 183 fields on 40 objects, AWS rotated 14 CMKs.
/// Notable: three console changes by people (Activity Log, Entra audit, CloudTrail). Re-approval: REPORTING_WH resized
/// under change CHG-00655 though its size is a signed decision (DR-0212). Critical: 14 fields on three objects with no
/// source after the settle window (one of them breaks an intent contract).
/// </summary>
public sealed class SeedScenarioTests
{
    private static readonly DateTimeOffset s_at = DateTimeOffset.Parse("2026-04-15T14:22:00Z");
    private static readonly ObjectOwner s_data = new("data-platform", "oncall-data", "rlee");
    private static readonly ObjectOwner s_security = new("security-engineering", "oncall-security", "malvarez");

    [Fact]
    public void The_seed_sweep_reports_exactly_the_counters_classes_and_actions_it_was_built_for()
    {
        var (input, _) = Build();

        var outcome = DriftSweep.Run(input);

        var r = outcome.Record;
        Assert.Equal(92_418, r.FieldsChecked);
        Assert.Equal(217, r.Drifted);
        Assert.Equal(203, r.Attributed);
        Assert.Equal(14, r.UnknownSource);
        Assert.Equal(0, r.Pending);
        Assert.Equal(197, r.Class(DriftClass.Expected));
        Assert.Equal(4, r.Class(DriftClass.Notable));
        Assert.Equal(2, r.Class(DriftClass.Reapproval));
        Assert.Equal(14, r.Class(DriftClass.Critical));
        Assert.Equal("Fields checked 92,418 · Drifted 217 · Attributed 203 · Unknown source 14 · 3 critical · 1 reapproval · 3 notable · 2 expected", r.Render());
        Assert.Equal("ROUTING-POLICY-v14", r.PolicyVersion);

        var terraform = outcome.Rows.Single(row => row.Attribution.Cause == CauseKind.TerraformRun);
        Assert.Equal(DriftClass.Expected, terraform.Class);
        Assert.Equal(40, terraform.ObjectIds.Length);
        Assert.Equal(183, terraform.Drifts.Length);
        Assert.Equal("Attributed to Terraform run run-SFSeL9fg6Kibje8L · commit a4f2…e991 · sender j.tran · linked to CHG-00604", terraform.Attribution.Render());
        var rotation = outcome.Rows.Single(row => row.Attribution.Cause == CauseKind.Vendor);
        Assert.Equal(14, rotation.ObjectIds.Length);
        Assert.Equal(DriftClass.Expected, rotation.Class);

        Assert.Equal(["finance-platform", "security-engineering", "security-engineering"], outcome.Rows.Where(row => row.Class == DriftClass.Notable).SelectMany(row => row.Actions).Select(a => a.Target).Order());
        var notable = outcome.Rows.Where(row => row.Class == DriftClass.Notable).ToList();
        Assert.All(notable, row => Assert.Equal(CauseKind.Person, row.Attribution.Cause));
        Assert.Equal(["alice", "john@contoso.com", "mallory@contoso.com"], notable.Select(row => row.Attribution.Actor!.Split('/')[^1].ToLowerInvariant()).Order());

        var approval = Assert.Single(outcome.Rows, row => row.Class == DriftClass.Reapproval).Actions.Single();
        Assert.Equal((DriftActionKind.RouteApproval, "rlee", "DR-0212"), (approval.Kind, approval.Target, approval.DecisionRecord));

        var actions = outcome.Actions.GroupBy(a => a.Kind).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(
            new Dictionary<DriftActionKind, int>
            {
                [DriftActionKind.Rebaseline] = 2,
                [DriftActionKind.GovernedTask] = 3,
                [DriftActionKind.RouteApproval] = 1,
                [DriftActionKind.Freeze] = 3,
                [DriftActionKind.PageOnCall] = 3,
                [DriftActionKind.ForensicBundle] = 3,
            },
            actions);
        Assert.All(outcome.Actions.Where(a => a.Kind == DriftActionKind.GovernedTask), a => Assert.Equal(s_at.AddDays(7), a.Due));
        Assert.Equal(197, outcome.Actions.Where(a => a.Kind == DriftActionKind.Rebaseline).Sum(a => a.Rebaseline!.Fields.Length));
        Assert.Equal(outcome.Actions.Length, outcome.Actions.Select(a => a.Key).Distinct().Count());
        Assert.Contains(outcome.Rows, row => row.Class == DriftClass.Critical && row.RuleId == "contract-break");
    }

    [Fact]
    public void Applying_the_rebaselines_makes_the_next_sweep_report_only_what_is_still_open()
    {
        var (input, _) = Build();
        var outcome = DriftSweep.Run(input);
        var graph = input.Graph;
        foreach (var action in outcome.Actions.Where(a => a.Kind == DriftActionKind.Rebaseline))
        {
            graph = graph.Apply(action.Rebaseline!, "system:drift", s_at, expectedVersion: graph.Version).Graph;
        }

        var next = DriftSweep.Run(input with { Graph = graph, Memory = outcome.Memory, At = s_at.AddMinutes(1) });

        Assert.Equal(0, next.Record.Drifted);
        Assert.Equal(217 - 197, next.Record.AlreadyReported);
        Assert.Equal(217 - 197, next.Memory.Count);
    }

    /// <summary>The seed's graph, live read, memory and sources.</summary>
    internal static (SweepInput Input, ImplementationGraph Graph) Build()
    {
        var objects = new List<GraphObject>();
        var live = new List<LiveObject>();
        var sources = new List<SourceEvent>();
        var pending = new List<RememberedDrift>();
        var changedAfter = s_at.AddMinutes(-1);

        // Filler: in line. 9,242 objects, 92,418 fields in all with the drifted ones below (the named objects hold 10 fields each).
        GraphObject Filler(string id, ObjectOwner owner, int fields, string system = "azure", string? workspace = null) =>
            new(id, "resource", system, "snapshot", "seed", owner)
            {
                Fields = Enumerable.Range(0, fields).ToDictionary(f => $"f{f}", f => Intent(f)),
                Workspace = workspace,
            };
        void Add(GraphObject obj, params (string Field, JsonNode? Live)[] drifted)
        {
            objects.Add(obj);
            var fields = obj.Fields.ToDictionary(f => f.Key, f => f.Value.Value?.DeepClone());
            foreach (var (field, value) in drifted)
            {
                fields[field] = value;
            }

            live.Add(new LiveObject(obj.Id, fields, s_at));
        }

        // Expected: the Terraform run changed 183 fields on 40 objects in finance-prod (23 × 5 + 17 × 4).
        for (var i = 0; i < 40; i++)
        {
            Add(Filler($"azure/finance/obj-{i:D2}", Finance, 10, workspace: "finance-prod"), [.. Enumerable.Range(0, i < 23 ? 5 : 4).Select(f => ($"f{f}", (JsonNode?)(f + 100)))]);
        }

        sources.Add(Run("run-SFSeL9fg6Kibje8L", "finance-prod", s_at.AddMinutes(-3), s_at.AddMinutes(-2)));

        // Expected: AWS rotated 14 CMKs (CloudTrail AwsServiceEvent RotateKey).
        for (var i = 0; i < 14; i++)
        {
            var keyId = $"key-{i:D2}";
            var cmk = Filler($"aws/kms/cmk-{i:D2}", s_security, 10, "aws") with { Aliases = [keyId] };
            Add(cmk with { Fields = cmk.Fields.ToImmutableDictionary().SetItem("f9", Intent("2025-04-15")) }, ("f9", "2026-04-15"));
            sources.Add(Assert.Single(SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailRotateKey
                .Replace("1234abcd-12ab-34cd-56ef-1234567890ab", keyId).Replace("ct-0002", $"ct-rot-{i}").Replace("2026-04-15T00:00:12Z", "2026-04-15T14:21:10Z"))));
        }

        // Notable: john@contoso.com through the portal (Resource Graph + Activity Log), 2 fields in one operation.
        var account = Filler("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod", Finance, 8) with { Kind = "storage-account" };
        Add(account with { Fields = account.Fields.ToImmutableDictionary().SetItem("allowBlobPublicAccess", Intent(false)).SetItem("minimumTlsVersion", Intent("TLS1_2")) }, ("allowBlobPublicAccess", true), ("minimumTlsVersion", "TLS1_0"));
        sources.AddRange(SourceEvents.Parse(SourceKind.ResourceGraph, SourceSamples.ResourceGraph
            .Replace("\"changes\":{", "\"changes\":{\"properties.minimumTlsVersion\":{\"newValue\":\"TLS1_0\",\"previousValue\":\"TLS1_2\",\"changeCategory\":\"User\",\"propertyChangeType\":\"Update\"},")
            .Replace("2026-04-15T03:10:17.347+00:00", "2026-04-15T14:21:30Z")));
        sources.AddRange(SourceEvents.Parse(SourceKind.ActivityLog, SourceSamples.ActivityLog.Replace("2026-04-15T03:10:16.9Z", "2026-04-15T14:21:29Z")));

        // Notable: mallory added a member to fin-admins (Entra audit by a person).
        var group = Filler("entra/group/fin-admins", s_security, 9, "entra") with { Aliases = ["9d2c0000-0000-4000-8000-000000000003"] };
        Add(group with { Fields = group.Fields.ToImmutableDictionary().SetItem("members", Intent(new JsonArray("alice", "bob")) with { Comparator = Comparator.SetEqual }) }, ("members", new JsonArray("bob", "alice", "mallory")));
        sources.AddRange(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAuditByPerson.Replace("2026-04-15T09:02:11Z", "2026-04-15T14:21:40Z")));

        // Notable: Alice disabled rotation on a key (CloudTrail, an IAM user).
        var key = Filler("aws/kms/cmk-payments", s_security, 9, "aws") with { Aliases = ["1234abcd-12ab-34cd-56ef-1234567890ab"] };
        Add(key with { Fields = key.Fields.ToImmutableDictionary().SetItem("keyRotationEnabled", Intent(true)) }, ("keyRotationEnabled", false));
        sources.AddRange(SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailPerson.Replace("2026-04-15T03:10:56Z", "2026-04-15T14:21:50Z")));

        // Re-approval: REPORTING_WH resized under CHG-00655, but its size and clusters are a signed decision (DR-0212).
        var decision = new ReasonOfRecord(ReasonKind.DecisionRecord, "DR-0212", "signed by rlee");
        var warehouse = Filler("snowflake/warehouse/REPORTING_WH", s_data, 8, "snowflake") with { Kind = "warehouse" };
        Add(warehouse with { Fields = warehouse.Fields.ToImmutableDictionary().SetItem("size", Intent("M", decision)).SetItem("maxClusters", Intent(2, decision)) }, ("size", "L"), ("maxClusters", 4));
        sources.AddRange(SourceEvents.Parse(SourceKind.ChangeRecord, """{"id":"CHG-00655","title":"Resize REPORTING_WH","owner":"svc-dbt-prod","objects":["snowflake/warehouse/REPORTING_WH"],"window":{"start":"2026-04-15T13:30:00Z","end":"2026-04-15T14:00:00Z"}}"""));

        // Critical: no source after the settle window, 14 fields on three objects; the sensor policy's mode is an intent contract.
        var sensor = Filler("crowdstrike/sensor-policy/EMEA-finance", s_security, 10, "crowdstrike");
        var contract = new IntentContract("IC-12", "EMEA-finance sensors prevent, never only monitor");
        sensor = sensor with { Fields = sensor.Fields.ToImmutableDictionary().SetItem("f0", Intent("prevent") with { Contract = contract }) };
        var unknown = new (GraphObject Obj, int Fields)[]
        {
            (sensor, 6),
            (Filler("workday/integration-user/ISU_FIN", Finance, 10, "workday"), 4),
            (Filler("vault/pki/pki-intermediate", s_security, 10, "vault"), 4),
        };
        foreach (var (obj, count) in unknown)
        {
            var drifted = Enumerable.Range(0, count).Select(f => ($"f{f}", (JsonNode?)(f == 0 && obj == sensor ? "monitor-only" : f + 500))).ToArray();
            Add(obj, drifted);
            foreach (var (field, value) in drifted)
            {
                pending.Add(new RememberedDrift(obj.Id, field, DriftComparison.ValueKey(obj.Fields[field].Comparator, value, false), s_at.AddMinutes(-20), s_at.AddMinutes(-21), RememberedStatus.Pending, s_at.AddMinutes(-5)));
            }
        }

        var total = objects.Sum(o => o.Fields.Count);
        var filler = 0;
        while (total < 92_418)
        {
            var fields = Math.Min(10, 92_418 - total);
            Add(Filler($"azure/filler/{filler++:D5}", Finance, fields));
            total += fields;
        }

        var graph = ImplementationGraph.Restore(41, objects);
        var input = new SweepInput(graph, LiveState.Of(live, s_at), new DriftMemory(changedAfter, pending), SourceIndex.Build(sources), Identities, Policy, s_at);
        return (input, graph);
    }
}
