using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.AzureStorage;

/// <summary>The three service-level patterns: each test sets the account's blob service properties, so they share one serial collection.</summary>
[Collection(BlobServicePropertiesCollection.Name)]
public class BlobServicePatternTests
{
    [Fact]
    public async Task Any_origin_cors_write_is_detected_stripped_verified_and_restored_on_azurite()
    {
        var account = await AzuriteAccount.ConnectAsync();
        await SetServiceAsync(account, p => p.Cors =
        [
            new BlobCorsRule { AllowedOrigins = "https://app.acme.example", AllowedMethods = "GET,PUT", AllowedHeaders = "x-ms-*", ExposedHeaders = "", MaxAgeInSeconds = 60 },
            new BlobCorsRule { AllowedOrigins = "*", AllowedMethods = "GET,PUT,DELETE", AllowedHeaders = "*", ExposedHeaders = "*", MaxAgeInSeconds = 3600 },
        ]);
        var pattern = new AnyOriginCorsWrite();

        var cycle = await account.RunCycleAsync(pattern, AssetId.BlobService(account.Connector.Account), NoContainers());

        var cors = ((BlobServiceState)cycle.Fixed).Cors;
        Assert.Equal(["GET", "PUT"], cors[0].AllowedMethods);
        Assert.Equal(["GET"], cors[1].AllowedMethods);
        Assert.Equal(["GET", "PUT", "DELETE"], ((BlobServiceState)cycle.Restored).Cors[1].AllowedMethods);
        Assert.True(pattern.IsReversible);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, 3)]
    public async Task Short_or_disabled_soft_delete_is_detected_fixed_verified_and_restored_on_azurite(bool enabled, int? days)
    {
        var account = await AzuriteAccount.ConnectAsync();
        await SetServiceAsync(account, p => p.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = enabled, Days = days });
        var pattern = new BlobSoftDelete();

        var cycle = await account.RunCycleAsync(pattern, AssetId.BlobService(account.Connector.Account), NoContainers());

        Assert.Equal(new RetentionPolicy(true, 7), ((BlobServiceState)cycle.Fixed).DeleteRetention);
        Assert.Equal(new RetentionPolicy(enabled, days), ((BlobServiceState)cycle.Restored).DeleteRetention);
        Assert.True(pattern.IsReversible);
    }

    [Fact]
    public async Task Disabled_request_logging_is_detected_enabled_verified_and_restored_on_azurite()
    {
        var account = await AzuriteAccount.ConnectAsync();
        await SetServiceAsync(account, p => p.Logging = new BlobAnalyticsLogging
        {
            Version = "1.0",
            Read = true,
            Write = false,
            Delete = false,
            RetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 5 },
        });
        var pattern = new BlobRequestLogging();

        var cycle = await account.RunCycleAsync(pattern, AssetId.BlobService(account.Connector.Account), NoContainers());

        Assert.Equal(new AnalyticsLogging("1.0", true, true, true, new RetentionPolicy(true, 5)), ((BlobServiceState)cycle.Fixed).Logging);
        Assert.Equal(new AnalyticsLogging("1.0", true, false, false, new RetentionPolicy(true, 5)), ((BlobServiceState)cycle.Restored).Logging);
        Assert.True(pattern.IsReversible);
    }

    [Fact]
    public async Task A_service_operation_rewrites_only_its_own_element()
    {
        var account = await AzuriteAccount.ConnectAsync();
        await SetServiceAsync(account, p =>
        {
            p.Cors = [new BlobCorsRule { AllowedOrigins = "https://a.example", AllowedMethods = "GET", AllowedHeaders = "", ExposedHeaders = "", MaxAgeInSeconds = 5 }];
            p.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 9 };
        });
        var asset = AssetId.BlobService(account.Connector.Account);

        await account.Connector.ExecuteAsync(new SetAnalyticsLogging(asset, new AnalyticsLogging("1.0", true, true, true, RetentionPolicy.Disabled)), CancellationToken.None);

        var service = (BlobServiceState)await account.Connector.ReadAssetAsync(asset, CancellationToken.None);
        Assert.Equal(["https://a.example"], Assert.Single(service.Cors).AllowedOrigins);
        Assert.Equal(new RetentionPolicy(true, 9), service.DeleteRetention);
        Assert.Equal("rwd", service.Logging.Operations);
    }

    // Service-level tests scan no containers: a prefix nothing else uses.
    private static string NoContainers() => TestStorage.UniqueName("none");

    private static async Task SetServiceAsync(AzuriteAccount account, Action<BlobServiceProperties> change)
    {
        var properties = (await account.Client.GetPropertiesAsync()).Value;
        properties.Cors = [];
        properties.DeleteRetentionPolicy = new BlobRetentionPolicy { Enabled = true, Days = 14 };
        properties.Logging = new BlobAnalyticsLogging
        {
            Version = "1.0",
            Read = true,
            Write = true,
            Delete = true,
            RetentionPolicy = new BlobRetentionPolicy { Enabled = false },
        };
        change(properties);
        await account.Client.SetPropertiesAsync(properties);
    }
}
