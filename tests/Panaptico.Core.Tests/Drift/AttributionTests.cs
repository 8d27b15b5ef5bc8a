using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class AttributionTests
{
    private static readonly DateTimeOffset s_sweep = DateTimeOffset.Parse("2026-04-15T14:22:00Z");

    private static GraphObject FinanceEtl => Object("azure/sp/finance-etl-prod", ("appRoleAssignmentRequired", Intent(true))) with
    {
        Aliases = ["ef7e0000-0000-4000-8000-000000000001"],
    };

    private static DriftDelta Drift(GraphObject obj, string field, JsonNode? live, DateTimeOffset firstSeen, DateTimeOffset? changedAfter) =>
        new(obj.Id, field, obj.Fields[field], live, false, Comparator.Exact, EnvelopeVerdict.None, firstSeen, changedAfter, "x");

    [Fact]
    public void A_change_by_the_terraform_principal_is_attributed_to_the_run_spanning_it_with_commit_sender_and_ticket()
    {
        var sources = SourceEvents.Parse(SourceKind.TerraformRun, SourceSamples.TerraformRun).AddRange(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAudit));
        var attributor = new DriftAttributor(SourceIndex.Build(sources), Identities, SettlePolicy.Standard);

        var attribution = attributor.Attribute(FinanceEtl, Drift(FinanceEtl, "appRoleAssignmentRequired", false, s_sweep, s_sweep.AddMinutes(-1)), s_sweep);

        Assert.Equal(AttributionStatus.Attributed, attribution.Status);
        Assert.Equal("automation-identity", attribution.Join);
        Assert.Equal("Attributed to Terraform run run-SFSeL9fg6Kibje8L · commit a4f2…e991 · sender j.tran · linked to CHG-00604", attribution.Render());
        Assert.Equal(2, attribution.LookedAt.Length);
    }

    [Fact]
    public void A_run_that_ended_more_than_five_minutes_before_the_change_does_not_explain_it()
    {
        var run = Run("run-old", "finance-prod", DateTimeOffset.Parse("2026-04-15T14:00:00Z"), DateTimeOffset.Parse("2026-04-15T14:14:00Z"));
        var audit = Assert.Single(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAudit)); // 14:20:52, by the Terraform app
        var attributor = new DriftAttributor(SourceIndex.Build([run, audit]), Identities, SettlePolicy.Standard);

        var attribution = attributor.Attribute(FinanceEtl, Drift(FinanceEtl, "appRoleAssignmentRequired", false, s_sweep, s_sweep.AddMinutes(-1)), s_sweep);

        Assert.Equal(AttributionStatus.Pending, attribution.Status);
        Assert.Equal(s_sweep.AddMinutes(15), attribution.SettleAt);
    }

    [Fact]
    public void A_console_change_is_attributed_to_the_person_through_the_correlated_activity_log_record()
    {
        var account = new GraphObject("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod", "storage-account", "azure", "azure-storage", "s1/rg", Finance)
        {
            Fields = new Dictionary<string, IntendedValue> { ["allowBlobPublicAccess"] = Intent(false) },
        };
        // Resource Graph without the caller (changedBy Unspecified); the Activity Log record of the same correlation id has it.
        var change = Assert.Single(SourceEvents.Parse(SourceKind.ResourceGraph, SourceSamples.ResourceGraph.Replace("john@contoso.com", "Unspecified")));
        var activity = Assert.Single(SourceEvents.Parse(SourceKind.ActivityLog, SourceSamples.ActivityLog));
        var at = DateTimeOffset.Parse("2026-04-15T03:11:00Z");
        var attributor = new DriftAttributor(SourceIndex.Build([change, activity]), Identities, SettlePolicy.Standard);

        var attribution = attributor.Attribute(account, Drift(account, "allowBlobPublicAccess", true, at, at.AddMinutes(-1)), at);

        Assert.Equal(CauseKind.Person, attribution.Cause);
        Assert.Equal("correlation-id", attribution.Join);
        Assert.Equal("john@contoso.com", attribution.Actor);
        Assert.StartsWith("Attributed to john@contoso.com", attribution.Render(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_record_window_explains_a_drift_only_when_it_names_the_object()
    {
        var ticket = Assert.Single(SourceEvents.Parse(SourceKind.ChangeRecord, SourceSamples.ChangeTicket)); // 14:00–15:00, names finance-etl-prod
        var other = Object("azure/sp/payments-prod", ("appRoleAssignmentRequired", Intent(true)));
        var attributor = new DriftAttributor(SourceIndex.Build([ticket]), Identities, SettlePolicy.Standard);
        var later = DateTimeOffset.Parse("2026-04-15T15:50:00Z");

        var named = attributor.Attribute(FinanceEtl, Drift(FinanceEtl, "appRoleAssignmentRequired", false, later, later.AddMinutes(-1)), later);
        var notNamed = attributor.Attribute(other, Drift(other, "appRoleAssignmentRequired", false, later, later.AddMinutes(-1)), later);
        var outsideWindow = attributor.Attribute(FinanceEtl, Drift(FinanceEtl, "appRoleAssignmentRequired", false, later.AddMinutes(20), later.AddMinutes(19)), later.AddMinutes(20));

        Assert.Equal("CHG-00604", named.CauseId);
        Assert.Equal("change-window", named.Join);
        Assert.Equal(AttributionStatus.Pending, notNamed.Status);
        Assert.Equal(AttributionStatus.Pending, outsideWindow.Status);
    }

    [Fact]
    public void The_settle_window_turns_a_pending_drift_into_an_attributed_one_when_the_late_source_arrives()
    {
        var graph = Graph(FinanceEtl);
        var live = Read(s_sweep, Live(FinanceEtl.Id, s_sweep, ("appRoleAssignmentRequired", false)));
        var first = DriftSweep.Run(Sweep(graph, live, DriftMemory.Empty, s_sweep) with { Memory = new DriftMemory(s_sweep.AddMinutes(-1), []) });

        // Four minutes later the directory audit and the run have arrived.
        var late = SourceEvents.Parse(SourceKind.TerraformRun, SourceSamples.TerraformRun).AddRange(SourceEvents.Parse(SourceKind.EntraAudit, SourceSamples.EntraAudit));
        var second = DriftSweep.Run(Sweep(graph, live, first.Memory, s_sweep.AddMinutes(4), [.. late]));

        Assert.Equal(1, first.Record.Pending);
        Assert.Empty(first.Rows);
        Assert.Equal(RememberedStatus.Pending, first.Memory.Find(FinanceEtl.Id, "appRoleAssignmentRequired")!.Status);
        Assert.Equal(1, second.Record.Attributed);
        Assert.Equal(0, second.Record.Pending);
        var row = Assert.Single(second.Rows);
        Assert.Equal(DriftClass.Expected, row.Class);
        Assert.Equal(s_sweep, row.Drifts[0].FirstSeen);
        Assert.Equal(RememberedStatus.Reported, second.Memory.Find(FinanceEtl.Id, "appRoleAssignmentRequired")!.Status);
    }

    [Fact]
    public void With_no_source_after_the_settle_window_a_drift_is_unknown_and_critical()
    {
        var graph = Graph(FinanceEtl);
        var live = Read(s_sweep, Live(FinanceEtl.Id, s_sweep, ("appRoleAssignmentRequired", false)));
        var first = DriftSweep.Run(Sweep(graph, live, DriftMemory.Empty, s_sweep));

        var settled = DriftSweep.Run(Sweep(graph, live, first.Memory, s_sweep.AddMinutes(15)));

        Assert.Equal(1, settled.Record.UnknownSource);
        var row = Assert.Single(settled.Rows);
        Assert.Equal(DriftClass.Critical, row.Class);
        Assert.Equal("no-source", row.RuleId);
        Assert.Equal("unknown source", row.Attribution.Render());
        Assert.Equal([DriftActionKind.Freeze, DriftActionKind.PageOnCall, DriftActionKind.ForensicBundle], row.Actions.Select(a => a.Kind));
        Assert.Equal("oncall-finance", row.Actions.Single(a => a.Kind == DriftActionKind.PageOnCall).Target);
    }

    [Fact]
    public void A_settle_window_is_per_source_system()
    {
        var settle = SettlePolicy.Standard with { PerSystem = SettlePolicy.Standard.PerSystem.Add("aws", TimeSpan.FromMinutes(20)) };
        var key = new GraphObject("kms/key-1", "kms-key", "aws", "snapshot", "111122223333", Finance) { Fields = new Dictionary<string, IntendedValue> { ["rotation"] = Intent(true) } };
        var attributor = new DriftAttributor(SourceIndex.Empty, Identities, settle);

        var attribution = attributor.Attribute(key, Drift(key, "rotation", false, s_sweep, null), s_sweep.AddMinutes(16));

        Assert.Equal(AttributionStatus.Pending, attribution.Status);
        Assert.Equal(s_sweep.AddMinutes(20), attribution.SettleAt);
    }

    [Fact]
    public void An_intent_contract_break_does_not_wait_for_the_settle_window()
    {
        var contract = FinanceEtl with
        {
            Fields = new Dictionary<string, IntendedValue> { ["appRoleAssignmentRequired"] = Intent(true) with { Contract = new IntentContract("IC-7", "only assigned principals") } },
        };
        var live = Read(s_sweep, Live(contract.Id, s_sweep, ("appRoleAssignmentRequired", false)));

        var sweep = DriftSweep.Run(Sweep(Graph(contract), live, DriftMemory.Empty, s_sweep));

        var row = Assert.Single(sweep.Rows);
        Assert.Equal(DriftClass.Critical, row.Class);
        Assert.Equal("contract-break", row.RuleId);
        Assert.Equal(AttributionStatus.Pending, row.Attribution.Status);
        Assert.NotNull(row.Actions.Single(a => a.Kind == DriftActionKind.ForensicBundle).Evidence);
    }

    [Fact]
    public void A_cloudtrail_rotate_key_is_the_vendor_and_expected()
    {
        var key = new GraphObject("aws/kms/cmk-finance-01", "kms-key", "aws", "snapshot", "111122223333", Finance)
        {
            Aliases = ["1234abcd-12ab-34cd-56ef-1234567890ab"],
            Fields = new Dictionary<string, IntendedValue> { ["keyMaterialRotatedAt"] = Intent("2025-04-15T00:00:00Z") },
        };
        var at = DateTimeOffset.Parse("2026-04-15T00:01:00Z");
        var rotate = SourceEvents.Parse(SourceKind.CloudTrail, SourceSamples.CloudTrailRotateKey);
        var live = Read(at, Live(key.Id, at, ("keyMaterialRotatedAt", "2026-04-15T00:00:12Z")));

        var sweep = DriftSweep.Run(Sweep(Graph(key), live, new DriftMemory(at.AddMinutes(-1), []), at, [.. rotate]));

        var row = Assert.Single(sweep.Rows);
        Assert.Equal(DriftClass.Expected, row.Class);
        Assert.Equal(CauseKind.Vendor, row.Attribution.Cause);
        var rebaseline = Assert.Single(row.Actions);
        Assert.Equal(DriftActionKind.Rebaseline, rebaseline.Kind);
        Assert.Equal("2026-04-15T00:00:12Z", rebaseline.Rebaseline!.Fields[0].Intended.Value!.GetValue<string>());
        Assert.Equal(ReasonKind.Rebaseline, rebaseline.Rebaseline.Reason.Kind);
    }
}
