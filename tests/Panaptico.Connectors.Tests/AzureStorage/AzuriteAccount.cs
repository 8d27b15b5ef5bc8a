using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.AzureStorage;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.AzureStorage;

/// <summary>The test run's Azurite account, a connector over it on a fake clock, and the pattern cycle every pattern test runs.</summary>
internal sealed class AzuriteAccount
{
    public static readonly DateTimeOffset Now = new(2026, 4, 15, 3, 12, 47, TimeSpan.Zero);

    private AzuriteAccount(BlobServiceClient client, FakeTimeProvider time)
    {
        Client = client;
        Time = time;
        Connector = new AzureStorageConnector(client, new Dictionary<string, string>(), time);
    }

    public BlobServiceClient Client { get; }

    public FakeTimeProvider Time { get; }

    public AzureStorageConnector Connector { get; }

    public static async Task<AzuriteAccount> ConnectAsync() =>
        new(new BlobServiceClient(await TestStorage.ConnectionStringAsync()), new FakeTimeProvider(Now));

    /// <summary>
    /// Scan → detect → plan → back up → fix (twice: absolute, so idempotent) → verify → inverse → verify the exact prior state.
    /// </summary>
    public async Task<PatternCycle> RunCycleAsync(ViolationPattern pattern, AssetId asset, string containerPrefix)
    {
        var ct = CancellationToken.None;
        var scan = await Connector.ReadAccountAsync(containerPrefix, ct);
        var finding = Assert.Single(pattern.Detect(scan), f => f.Asset == asset);
        var plan = pattern.PlanFix(finding);
        var backup = await Connector.ReadAssetAsync(asset, ct);
        Assert.Equal(plan.Before, pattern.Project(backup));

        await Connector.ExecuteAsync(plan.Operation, ct);
        await Connector.ExecuteAsync(plan.Operation, ct);
        var fixedState = await Connector.ReadAssetAsync(asset, ct);
        var verification = pattern.Verify(plan.Predicted, fixedState);
        Assert.True(verification.Matches, string.Join("; ", verification.Mismatches));
        Assert.Null(pattern.Evaluate(fixedState, finding.Tags, scan.ReadAt));

        var inverse = Assert.IsType<InversePlan>(pattern.Inverse(plan, backup));
        await Connector.ExecuteAsync(inverse.Operation, ct);
        var restored = await Connector.ReadAssetAsync(asset, ct);
        var restoreCheck = pattern.Verify(inverse.Predicted, restored);
        Assert.True(restoreCheck.Matches, string.Join("; ", restoreCheck.Mismatches));
        Assert.Equal(Json(backup), Json(restored));
        return new PatternCycle(finding, plan, backup, fixedState, inverse, restored);
    }

    public static string Json(AssetState state) => JsonSerializer.Serialize(state, RemediationJson.Options);
}

internal sealed record PatternCycle(Finding Finding, FixPlan Plan, AssetState Backup, AssetState Fixed, InversePlan Inverse, AssetState Restored);

/// <summary>Blob service properties are account-wide in Azurite: the tests that set them run alone, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlobServicePropertiesCollection
{
    public const string Name = "blob service properties";
}
