using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Functions.Remediation;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>The Event Grid webhook: both handshakes, delivery in both schemas, and the targeted re-check an event causes.</summary>
public sealed class ResourceEventsTests
{
    private const string Account = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmeprod";

    [Theory]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default/containers/customer-exports", "azure-blob://acmeprod/customer-exports")]
    [InlineData(Account, "/blobServices/default/containers/customer-exports/blobs/2026/04/export.csv", "azure-blob://acmeprod/customer-exports")]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default", "azure-blob://acmeprod")]
    [InlineData(Account, "", "azure-blob://acmeprod")]
    public void An_event_names_the_asset_its_resource_write_or_blob_event_is_about(string topic, string subject, string asset) =>
        Assert.Equal(asset, ResourceEvents.AssetOf(topic, subject)?.ToString());

    [Theory]
    [InlineData("/subscriptions/0000/resourceGroups/rg", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv")]
    [InlineData("/subscriptions/0000/resourceGroups/rg", Account + "/blobServices/default/containers/Not_A_Container")]
    public void An_event_about_anything_else_names_no_asset(string topic, string subject) =>
        Assert.Null(ResourceEvents.AssetOf(topic, subject));

    [Fact]
    public async Task The_event_grid_subscription_validation_handshake_echoes_the_code_and_opens_nothing()
    {
        await using var world = await ChainWorld.StartAsync();

        var answer = await PostAsync(world, """
            [{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/s","subject":"",
              "data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net/api/vr"},
              "eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2026-11-23T10:00:00Z","metadataVersion":"1","dataVersion":"1"}]
            """, headers: new Dictionary<string, string> { ["aeg-event-type"] = "SubscriptionValidation" });

        Assert.Equal(200, answer.Status);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", answer.Json!["validationResponse"]!.GetValue<string>());
        Assert.Empty(world.Ledger.Entries);
    }

    [Fact]
    public async Task The_cloud_events_abuse_protection_handshake_allows_the_origin_and_needs_one()
    {
        await using var world = await ChainWorld.StartAsync();

        var allowed = await world.CallAsync(r => world.Events.RunAsync(r, world.Client, CancellationToken.None), "OPTIONS", null,
            headers: new Dictionary<string, string> { ["WebHook-Request-Origin"] = "eventgrid.azure.net" });
        var anonymous = await world.CallAsync(r => world.Events.RunAsync(r, world.Client, CancellationToken.None), "OPTIONS", null);

        Assert.Equal(200, allowed.Status);
        Assert.Equal("eventgrid.azure.net", allowed.Headers["WebHook-Allowed-Origin"].ToString());
        Assert.Equal("invalid", anonymous.Problem(400));
    }

    [Fact]
    public async Task A_resource_write_event_rechecks_its_asset_and_opens_a_change()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("evented", production: true, PublicAccessType.BlobContainer);

        var answer = await PostAsync(world, new JsonArray(ResourceWrite(world.Blobs.AccountName, container.Name)).ToJsonString());

        Assert.Equal(200, answer.Status);
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.Reached(id, "change.approval-requested");
        var view = await world.ViewAsync(id);
        Assert.Equal(("AZ-STG-001", ChangeStage.Approval), (view.State.Plan.PatternId, view.State.Stage));
    }

    [Fact]
    public async Task A_batch_of_cloud_events_is_delivered_and_each_event_rechecked()
    {
        await using var world = await ChainWorld.StartAsync();
        var first = await world.CreateContainerAsync("cloud-a", production: true, PublicAccessType.Blob);
        var second = await world.CreateContainerAsync("cloud-b", production: true, PublicAccessType.Blob);
        var source = $"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{world.Blobs.AccountName}";
        var events = new JsonArray([.. new[] { first, second }.Select((c, i) => (JsonNode)new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = $"c{i}",
            ["source"] = source,
            ["type"] = "Microsoft.Storage.BlobCreated",
            ["time"] = "2026-11-23T10:00:00Z",
            ["subject"] = $"/blobServices/default/containers/{c.Name}/blobs/x.csv",
            ["data"] = new JsonObject { ["api"] = "PutBlob" },
        })]);

        var answer = await PostAsync(world, events.ToJsonString(), "application/cloudevents-batch+json");

        Assert.Equal(200, answer.Status);
        await world.OpenedOnAsync(world.Asset(first));
        await world.OpenedOnAsync(world.Asset(second));
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("""[{"id":"x"}]""")]
    [InlineData("""[{"specversion":"1.0","id":"c1"}]""")]
    public async Task Malformed_events_are_refused_with_a_problem_and_open_nothing(string body)
    {
        await using var world = await ChainWorld.StartAsync();

        var answer = await PostAsync(world, body);

        Assert.Equal("invalid", answer.Problem(400));
        Assert.Empty(world.Ledger.Entries);
    }

    /// <summary>An Event Grid resource-write event for a container, as Azure Resource Manager sends it.</summary>
    public static JsonObject ResourceWrite(string account, string container) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
        ["subject"] = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{account}/blobServices/default/containers/{container}",
        ["eventType"] = "Microsoft.Resources.ResourceWriteSuccess",
        ["eventTime"] = "2026-11-23T10:00:00Z",
        ["data"] = new JsonObject { ["operationName"] = "Microsoft.Storage/storageAccounts/blobServices/containers/write" },
        ["dataVersion"] = "2",
        ["metadataVersion"] = "1",
    };

    private static Task<Answer> PostAsync(ChainWorld world, string body, string contentType = "application/json", IDictionary<string, string>? headers = null) =>
        world.CallAsync(r => world.Events.RunAsync(r, world.Client, CancellationToken.None), "POST", null, body, contentType, headers);
}
