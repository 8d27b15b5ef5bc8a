using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Connectors.Drift.AzureStorage;
using Panaptico.Connectors.Tests.AzureStorage;
using Panaptico.Core.Drift;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Remediation;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.Drift;

public sealed class AzureStorageDriftConnectorTests
{
    private static readonly DateTimeOffset Start = new(2026, 4, 15, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_container_reads_back_public_access_access_policies_and_metadata_set_with_the_SDK()
    {
        var (account, connector) = await ConnectAsync();
        var container = await ContainerAsync(account, "driftread");
        await container.SetMetadataAsync(new Dictionary<string, string> { ["env"] = "prod", ["Owner"] = "finance" });
        await container.SetAccessPolicyAsync(PublicAccessType.BlobContainer,
        [
            Policy("upload", "rwl", Start, Start.AddDays(400)),
            Policy("audit", "rl", null, Start.AddDays(30)),
        ]);

        var live = await connector.ReadAsync(Object(account, container.Name), default);

        Assert.Equal($"azure-storage/{container.Name}", live.ObjectId);
        Assert.Equal(AzuriteAccount.Now, live.ReadAt);
        Assert.Equal("container", live.Fields["publicAccess"]!.GetValue<string>());
        Assert.Equal("prod", live.Fields["metadata.env"]!.GetValue<string>());
        Assert.Equal("finance", live.Fields["metadata.owner"]!.GetValue<string>());
        Assert.Equal(
            """[{"id":"audit","permissions":"rl","startsOn":null,"expiresOn":"2026-05-15T03:00:00Z"},""" +
            """{"id":"upload","permissions":"rwl","startsOn":"2026-04-15T03:00:00Z","expiresOn":"2027-05-20T03:00:00Z"}]""",
            live.Fields["accessPolicies"]!.ToJsonString());
    }

    [Fact]
    public async Task A_reordered_access_policy_list_reads_as_the_same_set()
    {
        var (account, connector) = await ConnectAsync();
        var one = await ContainerAsync(account, "driftorder");
        var other = await ContainerAsync(account, "driftorder");
        BlobSignedIdentifier[] policies =
        [
            Policy("upload", "rwl", Start, Start.AddDays(400)),
            Policy("audit", "rl", null, Start.AddDays(30)),
            Policy("backup", "racwl", Start, Start.AddDays(7)),
        ];
        await one.SetAccessPolicyAsync(PublicAccessType.None, policies);
        await other.SetAccessPolicyAsync(PublicAccessType.None, [.. policies.Reverse()]);

        var liveOne = (await connector.ReadAsync(Object(account, one.Name), default)).Fields["accessPolicies"];
        var liveOther = (await connector.ReadAsync(Object(account, other.Name), default)).Fields["accessPolicies"];
        // Intent written in yet another order, compared set-equal as the graph would.
        var intended = new JsonArray([.. liveOne!.AsArray().Reverse().Select(p => p!.DeepClone())]);

        Assert.True(JsonNode.DeepEquals(liveOne, liveOther));
        Assert.True(DriftComparison.Matches(Comparator.SetEqual, intended, liveOther));
        Assert.False(DriftComparison.Matches(Comparator.SetEqual, new JsonArray([.. intended.Skip(1).Select(p => p!.DeepClone())]), liveOther));
    }

    [Fact]
    public async Task Freezing_a_container_makes_it_private_and_flags_it_once_and_the_blob_service_cannot_be_frozen()
    {
        var (account, connector) = await ConnectAsync();
        var container = await ContainerAsync(account, "driftfreeze");
        await container.SetMetadataAsync(new Dictionary<string, string> { ["env"] = "prod" });
        await container.SetAccessPolicyAsync(PublicAccessType.Blob, [Policy("upload", "rwl", Start, Start.AddDays(400))]);
        var obj = Object(account, container.Name);

        var first = await connector.FreezeAsync(obj, "unknown source · critical — DRIFT-FEED-0491", default);
        account.Time.Advance(TimeSpan.FromMinutes(5));
        var again = await connector.FreezeAsync(obj, "again", default);
        var live = await connector.ReadAsync(obj, default);
        var service = await connector.FreezeAsync(obj with { Id = $"azure-blob://{account.Connector.Account}", Aliases = [] }, "x", default);

        Assert.True(first.Frozen, first.Detail);
        Assert.Contains("public access blob → none", first.Detail, StringComparison.Ordinal);
        Assert.True(again.Frozen);
        Assert.Contains("already frozen", again.Detail, StringComparison.Ordinal);
        Assert.Equal("none", live.Fields["publicAccess"]!.GetValue<string>());
        Assert.Equal("prod", live.Fields["metadata.env"]!.GetValue<string>());
        // The first freeze's time and reason (ASCII only: metadata is an HTTP header), not the second's.
        Assert.Equal("2026-04-15T03:12:47Z unknown source  critical  DRIFT-FEED-0491", live.Fields["metadata.panaptico_frozen"]!.GetValue<string>());
        // Stored access policies are left alone: a freeze stops anonymous reads, it does not destroy intent.
        Assert.Single(live.Fields["accessPolicies"]!.AsArray());
        Assert.False(service.Frozen);
    }

    [Fact]
    public async Task An_object_that_names_no_storage_asset_is_refused()
    {
        var (account, connector) = await ConnectAsync();
        var obj = Object(account, "anything") with { Aliases = ["/subscriptions/x/resourceGroups/rg"] };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => connector.ReadAsync(obj, default));

        Assert.Contains("names no Azure Storage asset", refused.Message, StringComparison.Ordinal);
    }

    internal static async Task<(AzuriteAccount Account, AzureStorageDriftConnector Connector)> ConnectAsync()
    {
        var account = await AzuriteAccount.ConnectAsync();
        var accounts = new GovernedAccounts([new GovernedAccount(account.Connector)]);
        return (account, new AzureStorageDriftConnector(accounts, account.Time));
    }

    internal static GraphObject Object(AzuriteAccount account, string container) =>
        new($"azure-storage/{container}", "blob-container", "azure", AzureStorageDriftConnector.ConnectorKind, "devstoreaccount1", new ObjectOwner("platform", "platform-oncall", "a.chen"))
        {
            Aliases = ImmutableArray.Create(AssetId.BlobContainer(account.Connector.Account, container).ToString()),
        };

    private static async Task<BlobContainerClient> ContainerAsync(AzuriteAccount account, string prefix)
    {
        var container = account.Client.GetBlobContainerClient(TestStorage.UniqueName(prefix));
        await container.CreateAsync();
        return container;
    }

    private static BlobSignedIdentifier Policy(string id, string permissions, DateTimeOffset? start, DateTimeOffset expiry) => new()
    {
        Id = id,
        AccessPolicy = new BlobAccessPolicy { Permissions = permissions, PolicyStartsOn = start, PolicyExpiresOn = expiry },
    };
}

/// <summary>Blob service properties are account-wide: this test shares the serial collection of the tests that set them.</summary>
[Collection(BlobServicePropertiesCollection.Name)]
public sealed class AzureStorageDriftBlobServiceTests
{
    [Fact]
    public async Task The_blob_service_reads_back_cors_delete_retention_and_logging_set_with_the_SDK()
    {
        var (account, connector) = await AzureStorageDriftConnectorTests.ConnectAsync();
        var properties = (await account.Client.GetPropertiesAsync()).Value;
        properties.Cors = [new BlobCorsRule { AllowedOrigins = "https://app.acme.example", AllowedMethods = "GET,PUT", AllowedHeaders = "x-ms-*", ExposedHeaders = "", MaxAgeInSeconds = 60 }];
        properties.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 14 };
        properties.Logging = new BlobAnalyticsLogging
        {
            Version = "1.0",
            Read = true,
            Write = true,
            Delete = false,
            RetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 5 },
        };
        await account.Client.SetPropertiesAsync(properties);
        var obj = new GraphObject($"azure-blob://{account.Connector.Account}", "blob-service", "azure", AzureStorageDriftConnector.ConnectorKind, "devstoreaccount1", new ObjectOwner("platform", "platform-oncall", "a.chen"));

        var live = await connector.ReadAsync(obj, default);

        Assert.Equal(
            """[{"allowedOrigins":["https://app.acme.example"],"allowedMethods":["GET","PUT"],"allowedHeaders":["x-ms-*"],"exposedHeaders":[],"maxAgeInSeconds":60}]""",
            live.Fields["cors"]!.ToJsonString());
        Assert.True(live.Fields["deleteRetention.enabled"]!.GetValue<bool>());
        Assert.Equal(14, live.Fields["deleteRetention.days"]!.GetValue<int>());
        Assert.True(live.Fields["logging.read"]!.GetValue<bool>());
        Assert.True(live.Fields["logging.write"]!.GetValue<bool>());
        Assert.False(live.Fields["logging.delete"]!.GetValue<bool>());
        Assert.Equal(5, live.Fields["logging.retention.days"]!.GetValue<int>());
    }
}
