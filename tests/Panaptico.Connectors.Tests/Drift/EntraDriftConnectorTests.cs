using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.Drift.Entra;
using Panaptico.Core.Drift;

namespace Panaptico.Connectors.Tests.Drift;

public sealed class EntraDriftConnectorTests : IDisposable
{
    private const string SpId = "ef7e1f0a-2c4b-4d7e-9a51-3b6c8d9e0f12";
    private const string GroupId = "0b9d7c6e-5a4f-4e3d-8c2b-1a0f9e8d7c6b";
    private const string AppId = "3c2b1a09-8f7e-4d6c-b5a4-938271605f4e";
    private static readonly DateTimeOffset Now = new(2026, 4, 15, 3, 12, 47, TimeSpan.Zero);

    private readonly GraphFake _graph = new();
    private readonly EntraDriftConnector _connector;

    public EntraDriftConnectorTests()
    {
        _connector = new EntraDriftConnector(new EntraReader(_graph.Client), _graph.Client, new FakeTimeProvider(Now));
    }

    [Fact]
    public async Task A_service_principal_reads_its_fields_asking_Graph_for_only_those_with_the_bearer_token()
    {
        _graph.Get($"/servicePrincipals/{SpId}", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals(id,appId,displayName,accountEnabled,appRoleAssignmentRequired,tags)/$entity",
             "id":"{{SpId}}","appId":"9a8b7c6d-0000-4000-8000-000000000001","displayName":"finance-etl-prod",
             "accountEnabled":true,"appRoleAssignmentRequired":false,"tags":["WindowsAzureActiveDirectoryIntegratedApp","HideApp"]}
            """);
        _graph.Get($"/servicePrincipals/{SpId}/owners", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)",
             "@odata.nextLink":"{{_graph.NextLink($"/servicePrincipals/{SpId}/owners", "owners2", "$select=id&")}}",
             "value":[{"@odata.type":"#microsoft.graph.user","id":"b2000000-0000-4000-8000-000000000002"}]}
            """);
        _graph.Get($"/servicePrincipals/{SpId}/owners", """
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)",
             "value":[{"@odata.type":"#microsoft.graph.servicePrincipal","id":"a1000000-0000-4000-8000-000000000001"}]}
            """, skipToken: "owners2");

        var live = await _connector.ReadAsync(GraphFake.Object(EntraKinds.ServicePrincipal, SpId), default);

        Assert.Equal("entra/service-principal/ef7e", live.ObjectId);
        Assert.Equal(Now, live.ReadAt);
        Assert.True(live.Fields["accountEnabled"]!.GetValue<bool>());
        Assert.False(live.Fields["appRoleAssignmentRequired"]!.GetValue<bool>());
        Assert.Equal("""["HideApp","WindowsAzureActiveDirectoryIntegratedApp"]""", live.Fields["tags"]!.ToJsonString());
        // Both pages of owners, as one sorted set.
        Assert.Equal("""["a1000000-0000-4000-8000-000000000001","b2000000-0000-4000-8000-000000000002"]""", live.Fields["owners"]!.ToJsonString());

        Assert.Equal(
        [
            $"/servicePrincipals/{SpId}?$select=id,appId,displayName,accountEnabled,appRoleAssignmentRequired,tags",
            $"/servicePrincipals/{SpId}/owners?$select=id",
            $"/servicePrincipals/{SpId}/owners?$select=id&$skiptoken=owners2",
        ], _graph.Requests);
        Assert.All(_graph.Log, e => Assert.Equal($"Bearer {GraphFake.Token}", e.RequestMessage.Headers!["Authorization"].Single()));
        Assert.Contains(GraphFake.Scope, _graph.Credential.ScopesRequested);
    }

    [Fact]
    public async Task Group_members_are_followed_through_every_page_into_one_set()
    {
        _graph.Get($"/groups/{GroupId}", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups(id,displayName,securityEnabled)/$entity",
             "id":"{{GroupId}}","displayName":"fin-admins","securityEnabled":true}
            """);
        _graph.Get($"/groups/{GroupId}/members", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)",
             "@odata.nextLink":"{{_graph.NextLink($"/groups/{GroupId}/members", "p2", "$select=id&")}}",
             "value":[{"@odata.type":"#microsoft.graph.user","id":"c3"},{"@odata.type":"#microsoft.graph.user","id":"a1"}]}
            """);
        _graph.Get($"/groups/{GroupId}/members", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)",
             "@odata.nextLink":"{{_graph.NextLink($"/groups/{GroupId}/members", "p3", "$select=id&")}}",
             "value":[{"@odata.type":"#microsoft.graph.group","id":"b2"}]}
            """, skipToken: "p2");
        _graph.Get($"/groups/{GroupId}/members", """
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)",
             "value":[{"@odata.type":"#microsoft.graph.servicePrincipal","id":"d4"}]}
            """, skipToken: "p3");

        var live = await _connector.ReadAsync(GraphFake.Object(EntraKinds.Group, GroupId), default);

        Assert.Equal("""["a1","b2","c3","d4"]""", live.Fields["members"]!.ToJsonString());
        Assert.Equal("fin-admins", live.Fields["displayName"]!.GetValue<string>());
        Assert.Equal(4, _graph.Requests.Count);
        Assert.Equal($"/groups/{GroupId}/members?$select=id&$skiptoken=p3", _graph.Requests[^1]);
        // A reordered membership is no drift under the set-equal comparator.
        Assert.True(DriftComparison.Matches(Comparator.SetEqual, JsonNode.Parse("""["d4","c3","b2","a1"]"""), live.Fields["members"]));
    }

    [Fact]
    public async Task Application_credentials_are_read_as_key_ids_and_dates_never_secret_text_hint_or_key_material()
    {
        // Graph never returns secretText on a read, but if a fake (or a future API) did, the connector must not carry it.
        _graph.Get($"/applications/{AppId}", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications(id,appId,displayName,passwordCredentials,keyCredentials)/$entity",
             "id":"{{AppId}}","appId":"9a8b7c6d-0000-4000-8000-000000000001","displayName":"finance-etl",
             "passwordCredentials":[
               {"customKeyIdentifier":null,"displayName":"rotated-2026-04","endDateTime":"2026-10-15T00:00:00Z","hint":"Q~x",
                "keyId":"f1000000-0000-4000-8000-00000000000f","secretText":"Q~xSUPERSECRETVALUE","startDateTime":"2026-04-15T00:00:00Z"},
               {"customKeyIdentifier":null,"displayName":"ci","endDateTime":"2027-01-01T00:00:00Z","hint":"abc",
                "keyId":"a1000000-0000-4000-8000-00000000000a","secretText":null,"startDateTime":"2026-01-01T00:00:00Z"}],
             "keyCredentials":[
               {"customKeyIdentifier":"QUJD","displayName":"CN=finance-etl","endDateTime":"2027-04-15T00:00:00Z",
                "key":"TUlJQ0lqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FnOEFNSUlDQ2dLQ0FnRUFQUklWQVRF","keyId":"c1000000-0000-4000-8000-00000000000c",
                "startDateTime":"2026-04-15T00:00:00Z","type":"AsymmetricX509Cert","usage":"Verify"}]}
            """);

        var live = await _connector.ReadAsync(GraphFake.Object(EntraKinds.Application, AppId), default);

        Assert.Equal($"/applications/{AppId}?$select=id,appId,displayName,passwordCredentials,keyCredentials", Assert.Single(_graph.Requests));
        Assert.Equal("""["a1000000-0000-4000-8000-00000000000a","f1000000-0000-4000-8000-00000000000f"]""", live.Fields["passwordCredentials.keyIds"]!.ToJsonString());
        var first = live.Fields["passwordCredentials"]!.AsArray()[1]!;
        Assert.Equal("rotated-2026-04", first["displayName"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(2026, 10, 15, 0, 0, 0, TimeSpan.Zero), first["endDateTime"]!.GetValue<DateTimeOffset>());
        Assert.Equal("AsymmetricX509Cert", live.Fields["keyCredentials"]!.AsArray().Single()!["type"]!.GetValue<string>());
        var everything = string.Join("\n", live.Fields.Select(f => $"{f.Key}={f.Value?.ToJsonString()}"));
        Assert.DoesNotContain("SUPERSECRET", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("Q~x", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("TUlJQ0lq", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("secretText", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("hint", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Directory_audits_since_a_time_are_read_raw_in_Graphs_shape_across_pages()
    {
        _graph.Get("/auditLogs/directoryAudits", $$$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
             "@odata.nextLink":"{{{_graph.NextLink("/auditLogs/directoryAudits", "audits2", "$filter=activityDateTime%20ge%202026-04-15T03:00:00Z&")}}}",
             "value":[{"id":"Directory_da15","category":"ApplicationManagement","correlationId":"da15c0de-0000-4000-8000-000000000001","result":"success",
               "resultReason":"","activityDisplayName":"Update service principal","activityDateTime":"2026-04-15T03:09:02.7215374Z",
               "loggedByService":"Core Directory","operationType":"Update","additionalDetails":[],
               "initiatedBy":{"user":null,"app":{"appId":"7e7e0000-0000-4000-8000-000000000007","displayName":"terraform-finance",
                 "servicePrincipalId":"5e5e0000-0000-4000-8000-000000000005","servicePrincipalName":"terraform-finance"}},
               "targetResources":[{"id":"{{{SpId}}}","type":"ServicePrincipal","displayName":"finance-etl-prod","userPrincipalName":null,"groupType":null,
                 "modifiedProperties":[{"displayName":"AppRoleAssignmentRequired","oldValue":"[true]","newValue":"[false]"}]}]}]}
            """);
        _graph.Get("/auditLogs/directoryAudits", """
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
             "value":[{"id":"Directory_aa01","category":"GroupManagement","correlationId":"aa010000-0000-4000-8000-000000000002","result":"success",
               "activityDisplayName":"Add member to group","activityDateTime":"2026-04-15T03:11:40Z","loggedByService":"Core Directory",
               "operationType":"Assign","initiatedBy":{"user":{"id":"u1","userPrincipalName":"j.tran@contoso.com","ipAddress":"192.0.2.7"},"app":null},
               "targetResources":[{"id":"0b9d7c6e-5a4f-4e3d-8c2b-1a0f9e8d7c6b","type":"Group","displayName":"fin-admins","modifiedProperties":[]}]}]}
            """, skipToken: "audits2");

        var records = await new DirectoryAuditReader(_graph.Client).ReadSinceAsync(new DateTimeOffset(2026, 4, 15, 3, 0, 0, TimeSpan.Zero), default);

        Assert.Equal("/auditLogs/directoryAudits?$filter=activityDateTime ge 2026-04-15T03:00:00Z", _graph.Requests[0]);
        Assert.Equal(2, _graph.Requests.Count);
        Assert.All(_graph.Log, e => Assert.Equal($"Bearer {GraphFake.Token}", e.RequestMessage.Headers!["Authorization"].Single()));
        Assert.Equal(["Directory_da15", "Directory_aa01"], records.Select(r => r["id"]!.GetValue<string>()));
        // Raw: Graph's own names and nesting, nulls included, for attribution's directoryAudits parser.
        Assert.Equal("terraform-finance", records[0]["initiatedBy"]!["app"]!["displayName"]!.GetValue<string>());
        Assert.Null(records[0]["initiatedBy"]!["user"]);
        Assert.True(records[0]["initiatedBy"]!.AsObject().ContainsKey("user"));
        Assert.Equal("[false]", records[0]["targetResources"]![0]!["modifiedProperties"]![0]!["newValue"]!.GetValue<string>());
        Assert.Equal("j.tran@contoso.com", records[1]["initiatedBy"]!["user"]!["userPrincipalName"]!.GetValue<string>());
    }

    [Fact]
    public async Task Freezing_a_service_principal_disables_it_and_a_group_cannot_be_frozen()
    {
        _graph.Get($"/servicePrincipals/{SpId}", $$"""
            {"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity","id":"{{SpId}}","accountEnabled":true,"appRoleAssignmentRequired":true,"tags":[]}
            """);
        _graph.Get($"/servicePrincipals/{SpId}/owners", """{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects","value":[]}""");
        _graph.Patch($"/servicePrincipals/{SpId}");

        var outcome = await _connector.FreezeAsync(GraphFake.Object(EntraKinds.ServicePrincipal, SpId), "unknown source", default);
        var group = await _connector.FreezeAsync(GraphFake.Object(EntraKinds.Group, GroupId), "unknown source", default);

        Assert.True(outcome.Frozen, outcome.Detail);
        var patch = Assert.Single(_graph.Log, e => e.RequestMessage.Method == "PATCH");
        // The SDK names the type it sends; the only property written is accountEnabled.
        var body = JsonNode.Parse(patch.RequestMessage.Body!)!.AsObject();
        Assert.False(body["accountEnabled"]!.GetValue<bool>());
        Assert.Equal(["accountEnabled"], body.Select(p => p.Key).Where(k => !k.StartsWith('@')));
        Assert.False(group.Frozen);
        Assert.Contains("only a service principal", group.Detail, StringComparison.Ordinal);
    }

    public void Dispose() => _graph.Dispose();
}
