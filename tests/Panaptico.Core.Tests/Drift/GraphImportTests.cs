using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using static Panaptico.Core.Tests.Drift.DriftSamples;

namespace Panaptico.Core.Tests.Drift;

public sealed class GraphImportTests
{
    private const string GraphYaml = """
        version: 1
        objects:
          - id: azure/sp/finance-etl-prod
            kind: service-principal
            system: entra
            connector: entra
            scope: tenant/contoso
            workspace: finance-prod
            aliases: [ef7e0000-0000-4000-8000-000000000001]
            owner: { team: finance-platform, onCall: oncall-finance, approverOfRecord: dpark }
            relationships:
              - { kind: member-of, target: okta/group/fin-admins }
            fields:
              appRoleAssignmentRequired:
                value: true
                reason: { kind: terraform-run, id: run-SFSeL9fg6Kibje8L, detail: "commit a4f2…e991" }
                contract: { id: IC-7, text: "finance-etl-prod only for assigned principals" }
              tags:
                value: [finance, etl]
                reason: { kind: change-record, id: CHG-00604 }
                comparator: set-equal
          - id: snowflake/warehouse/REPORTING_WH
            kind: warehouse
            system: snowflake
            connector: snapshot
            scope: account/acme
            owner: { team: data-platform, onCall: oncall-data, approverOfRecord: rlee }
            fields:
              size:
                value: "M"
                reason: { kind: decision-record, id: DR-0212 }
                envelope: { values: ["S", "M", "L"] }
              autoSuspend:
                value: 60
                reason: { kind: change-record, id: CHG-00512 }
                ignore: { owner: rlee, reason: "tuning", expires: "2026-05-01T00:00:00Z" }
        """;

    [Fact]
    public void A_yaml_graph_reads_into_objects_with_typed_intent()
    {
        var objects = GraphDocument.ParseYaml(GraphYaml);

        Assert.Equal(2, objects.Length);
        var sp = objects[0];
        Assert.Equal("finance-prod", sp.Workspace);
        Assert.Equal(new ObjectOwner("finance-platform", "oncall-finance", "dpark"), sp.Owner);
        Assert.Equal("IC-7", sp.Fields["appRoleAssignmentRequired"].Contract!.Id);
        Assert.Equal(ReasonKind.TerraformRun, sp.Fields["appRoleAssignmentRequired"].Reason.Kind);
        Assert.True(sp.Fields["appRoleAssignmentRequired"].Value!.GetValue<bool>());
        Assert.Equal(Comparator.SetEqual, sp.Fields["tags"].Comparator);
        var wh = objects[1];
        Assert.Equal("M", wh.Fields["size"].Value!.GetValue<string>());
        Assert.Equal(3, wh.Fields["size"].Envelope!.Values!.Count);
        Assert.Equal(60L, wh.Fields["autoSuspend"].Value!.GetValue<long>());
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero), wh.Fields["autoSuspend"].Ignore!.Expires);
    }

    [Fact]
    public void The_graph_document_round_trips_through_json()
    {
        var graph = ImplementationGraph.Restore(3, GraphDocument.ParseYaml(GraphYaml));

        var again = GraphDocument.ParseJson(DriftJson.Graph(graph).ToJsonString());

        Assert.Equal(DriftJson.Graph(graph).ToJsonString(), DriftJson.Graph(ImplementationGraph.Restore(3, again)).ToJsonString());
    }

    [Fact]
    public void A_malformed_yaml_graph_is_refused_naming_the_line_of_each_problem()
    {
        var bad = GraphYaml.Replace("kind: terraform-run", "kind: terraform-plan").Replace("comparator: set-equal", "comparator: unordered");

        var e = Assert.Throws<DriftInputException>(() => GraphDocument.ParseYaml(bad));

        Assert.Equal(DriftCodes.GraphInvalid, e.Code);
        Assert.Contains(e.Problems, p => p.StartsWith("line 16 (objects[0].fields.appRoleAssignmentRequired.reason.kind)", StringComparison.Ordinal) && p.Contains("terraform-plan", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("line 21 (objects[0].fields.tags.comparator)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_json_graph_import_names_the_path()
    {
        var json = """{"objects":[{"id":"a","kind":"k","system":"s","connector":"snapshot","scope":"x","owner":{"team":"t","onCall":"o","approverOfRecord":"p"},"fields":{"f":{"value":1}}}]}""";

        var e = Assert.Throws<DriftInputException>(() => GraphDocument.ParseJson(json));

        Assert.Equal(["$.objects[0].fields.f.reason: is required (a mapping)"], e.Problems);
    }

    [Fact]
    public void Json_that_does_not_parse_names_the_line_and_path()
    {
        var e = Assert.Throws<DriftInputException>(() => GraphDocument.ParseJson("{\"objects\": [\n {\"id\": }]}"));

        Assert.Contains("line 2", e.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_member_is_refused_rather_than_ignored()
    {
        var e = Assert.Throws<DriftInputException>(() => GraphDocument.ParseYaml(GraphYaml.Replace("    workspace: finance-prod", "    workspce: finance-prod")));

        Assert.Contains(e.Problems, p => p.Contains("unknown field 'workspce'", StringComparison.Ordinal) && p.StartsWith("line 8 (objects[0].workspce)", StringComparison.Ordinal));
    }

    [Fact]
    public void Applying_a_change_makes_a_new_version_and_a_ledger_entry_with_a_deterministic_id()
    {
        var reason = new ReasonOfRecord(ReasonKind.ChangeRecord, "CHG-00604");
        var change = new IntentChange(reason) { Define = GraphDocument.ParseYaml(GraphYaml) };

        var applied = ImplementationGraph.Empty.Apply(change, "dpark", T0);
        var retried = ImplementationGraph.Empty.Apply(change, "dpark", T0);

        Assert.Equal(1, applied.Graph.Version);
        Assert.Equal(2, applied.Graph.Objects.Count);
        Assert.Empty(ImplementationGraph.Empty.Objects);
        Assert.Equal("drift", applied.Entry.Stream);
        Assert.Equal("intent.changed", applied.Entry.Kind);
        Assert.Equal("drift/intent/v1", applied.Entry.EntryId);
        Assert.Equal(retried.Entry.EntryId, applied.Entry.EntryId);
        Assert.Equal(retried.Entry.Data!.ToJsonString(), applied.Entry.Data!.ToJsonString());
        Assert.Equal("CHG-00604", applied.Entry.Data!["reason"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public void A_field_change_keeps_the_other_fields_and_cites_its_reason()
    {
        var graph = ImplementationGraph.Empty.Apply(new IntentChange(Run2841) { Define = GraphDocument.ParseYaml(GraphYaml) }, "dpark", T0).Graph;
        var decision = new ReasonOfRecord(ReasonKind.DecisionRecord, "DR-0300");

        var next = graph.Apply(new IntentChange(decision) { Fields = [new FieldIntent("snowflake/warehouse/REPORTING_WH", "size", Intent("L", decision))] }, "rlee", T0, expectedVersion: 1);

        var wh = next.Graph.Objects["snowflake/warehouse/REPORTING_WH"];
        Assert.Equal("L", wh.Fields["size"].Value!.GetValue<string>());
        Assert.Equal("DR-0300", wh.Fields["size"].Reason.Id);
        Assert.Equal(60L, wh.Fields["autoSuspend"].Value!.GetValue<long>());
        Assert.Equal("M", graph.Objects["snowflake/warehouse/REPORTING_WH"].Fields["size"].Value!.GetValue<string>());
    }

    [Fact]
    public void An_intent_for_an_unknown_connector_is_refused_and_nothing_changes()
    {
        var change = new IntentChange(Run2841) { Define = GraphDocument.ParseYaml(GraphYaml) };

        var e = Assert.Throws<DriftInputException>(() => ImplementationGraph.Empty.Apply(change, "dpark", T0, connectors: new HashSet<string> { "entra", "azure-storage" }));

        Assert.Equal(DriftCodes.UnknownConnector, e.Code);
        Assert.Contains("'snapshot'", e.Problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_against_a_stale_version_or_an_unknown_object_is_refused()
    {
        var graph = ImplementationGraph.Empty.Apply(new IntentChange(Run2841) { Define = GraphDocument.ParseYaml(GraphYaml) }, "dpark", T0).Graph;

        Assert.Equal(DriftCodes.VersionConflict, Assert.Throws<DriftInputException>(() => graph.Apply(new IntentChange(Run2841) { Remove = ["azure/sp/finance-etl-prod"] }, "dpark", T0, expectedVersion: 0)).Code);
        Assert.Equal(DriftCodes.UnknownObject, Assert.Throws<DriftInputException>(() => graph.Apply(new IntentChange(Run2841) { Fields = [new FieldIntent("nope", "f", Intent(1))] }, "dpark", T0)).Code);
    }

    private const string State = """
        {"version":4,"terraform_version":"1.9.5","serial":42,"lineage":"3f9a","outputs":{},
         "resources":[
          {"mode":"managed","type":"azuread_service_principal","name":"finance_etl",
           "provider":"provider[\"registry.terraform.io/hashicorp/azuread\"]",
           "instances":[{"schema_version":0,"attributes":{"id":"ef7e0000-0000-4000-8000-000000000001","object_id":"ef7e0000-0000-4000-8000-000000000001","account_enabled":true,"app_role_assignment_required":true,"tags":["finance","etl"],"client_secret":"s3cr3t","timeouts":null,"notes":null},
             "sensitive_attributes":[[{"type":"get_attr","value":"client_secret"}]],"dependencies":["azuread_application.finance_etl"]}]},
          {"mode":"data","type":"azuread_client_config","name":"current","provider":"provider[\"registry.terraform.io/hashicorp/azuread\"]","instances":[{"attributes":{"tenant_id":"t"}}]},
          {"mode":"managed","type":"azurerm_storage_account","name":"acme","provider":"provider[\"registry.terraform.io/hashicorp/azurerm\"]",
           "instances":[{"index_key":"prod","attributes":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod","allow_nested_items_to_be_public":false}}]}]}
        """;

    [Fact]
    public void A_terraform_state_v4_imports_managed_instances_with_the_run_as_reason_and_no_secrets()
    {
        var context = new TerraformImportContext(Run2841, "finance-prod", "tenant/contoso", Finance);

        var objects = TerraformStateImport.Read(State, context);

        Assert.Equal(2, objects.Length);
        var sp = objects[0];
        Assert.Equal("ef7e0000-0000-4000-8000-000000000001", sp.Id);
        Assert.Equal("entra", sp.Connector);
        Assert.Equal("entra", sp.SourceSystem);
        Assert.Equal("finance-prod", sp.Workspace);
        Assert.Contains("azuread_service_principal.finance_etl", sp.Aliases);
        Assert.Equal(["account_enabled", "app_role_assignment_required", "object_id", "tags"], sp.Fields.Keys.Order());
        Assert.All(sp.Fields.Values, f => Assert.Equal(Run2841, f.Reason));
        Assert.Equal(Comparator.SetEqual, sp.Fields["tags"].Comparator);
        Assert.DoesNotContain("client_secret", sp.Fields.Keys);
        var account = objects[1];
        Assert.Equal("azure-storage", account.Connector);
        Assert.Equal("azure", account.SourceSystem);
        Assert.Contains("azurerm_storage_account.acme[\"prod\"]", account.Aliases);
    }

    [Fact]
    public void A_state_that_is_not_v4_or_is_malformed_is_refused_naming_the_path()
    {
        var context = new TerraformImportContext(Run2841, "finance-prod", "tenant/contoso", Finance);

        var v3 = Assert.Throws<DriftInputException>(() => TerraformStateImport.Read("""{"version":3,"resources":[]}""", context));
        var broken = Assert.Throws<DriftInputException>(() => TerraformStateImport.Read("""{"version":4,"resources":[{"mode":"managed","type":"aws_kms_key","name":"k","instances":[{"attributes":[1,2]}]}]}""", context));

        Assert.Equal(DriftCodes.TerraformStateInvalid, v3.Code);
        Assert.StartsWith("$.version", v3.Problems[0], StringComparison.Ordinal);
        Assert.Equal(["$.resources[0].instances[0].attributes: must be a mapping"], broken.Problems);
    }

    [Fact]
    public void A_graph_value_written_as_json_keeps_its_type()
    {
        var value = GraphDocument.ParseJson("""{"objects":[{"id":"a","kind":"k","system":"s","connector":"snapshot","scope":"x","owner":{"team":"t","onCall":"o","approverOfRecord":"p"},"fields":{"f":{"value":{"n":[1,"2"]},"reason":{"kind":"rebaseline","id":"DRIFT-1"}}}}]}""")[0].Fields["f"].Value;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"n":[1,"2"]}"""), value));
    }
}
