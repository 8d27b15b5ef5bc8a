using System.Text.Json.Nodes;
using Panaptico.Connectors.Kms;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Testing.Kms;

namespace Panaptico.Connectors.Tests.Kms;

/// <summary>The remediation chain's KMS key connector over the KMS fake, which checks each request's target, signature and body.</summary>
public sealed class KmsKeyConnectorTests : IDisposable
{
    private readonly KmsFake _kms = KmsFake.Finance(disabled: "2e19");

    public void Dispose() => _kms.Dispose();

    [Fact]
    public async Task A_scan_reads_the_customer_managed_keys_in_scope_with_rotation_and_tags_and_leaves_aws_managed_keys_out()
    {
        var managed = _kms.Key(KmsFake.KeyIdOf("aws0", 20));
        var connector = Connector(o => { o.AliasPrefix = "alias/finance/"; o.KeyIds.Add(managed.KeyId); });

        var scan = Assert.IsType<KmsAccountState>(await connector.ReadAccountAsync(null, CancellationToken.None));

        Assert.Equal(14, scan.Keys.Count);
        Assert.DoesNotContain(scan.Keys, k => k.Arn == managed.Arn);
        Assert.All(scan.Keys, k => Assert.Equal(("CUSTOMER", "finance"), (k.KeyManager, k.Tags["domain"])));
        var off = Assert.Single(scan.Keys, k => k.RotationEnabled == false);
        Assert.Equal($"aws-kms://{KmsFake.FinanceAccount}/us-east-1/{KmsFake.KeyIdOf("2e19", 4)}", off.Id.ToString());
        Assert.Equal(13, scan.Keys.Count(k => k is { RotationEnabled: true, RotationPeriodInDays: 365 }));
        Assert.Empty(_kms.Refused);
    }

    [Fact]
    public async Task Enabling_and_disabling_rotation_is_absolute_state_sending_only_the_key_id_and_nothing_when_already_so()
    {
        var key = _kms.Key(KmsFake.KeyIdOf("2e19", 4));
        var asset = AssetId.KmsKey(KmsFake.FinanceAccount, "us-east-1", key.KeyId);
        var connector = Connector(o => o.AliasPrefix = "alias/finance/");

        await connector.ExecuteAsync(new SetKeyRotation(asset, Enabled: true), CancellationToken.None);
        await connector.ExecuteAsync(new SetKeyRotation(asset, Enabled: true), CancellationToken.None);
        Assert.Equal((true, 365), (key.RotationEnabled, key.RotationPeriodInDays));
        Assert.True(((KmsKeyState)await connector.ReadAssetAsync(asset, CancellationToken.None)).RotationEnabled);

        await connector.ExecuteAsync(new SetKeyRotation(asset, Enabled: false), CancellationToken.None);
        await connector.ExecuteAsync(new SetKeyRotation(asset, Enabled: false), CancellationToken.None);
        Assert.False(key.RotationEnabled);

        Assert.Equal(
            [("EnableKeyRotation", new JsonObject { ["KeyId"] = key.KeyId }.ToJsonString()), ("DisableKeyRotation", new JsonObject { ["KeyId"] = key.KeyId }.ToJsonString())],
            _kms.Calls.Where(c => c.Operation.EndsWith("KeyRotation", StringComparison.Ordinal)).Select(c => (c.Operation, c.Body.ToJsonString())));
        Assert.Empty(_kms.Refused);
    }

    [Fact]
    public async Task Keys_of_another_region_or_account_and_aws_managed_or_out_of_scope_keys_are_refused_before_any_write()
    {
        var connector = Connector(o => { o.AliasPrefix = "alias/finance/"; o.KeyIds.Add(KmsFake.KeyIdOf("aws0", 20)); });
        var finance = KmsFake.KeyIdOf("2e19", 4);

        Assert.False(connector.Serves(AssetId.KmsKey(KmsFake.FinanceAccount, "eu-west-1", finance)));
        Assert.False(connector.Serves(AssetId.KmsKey("111122223333", "us-east-1", finance)));
        Assert.False(connector.Serves(AssetId.S3Bucket("acme-prod-customer-exports")));
        await Assert.ThrowsAsync<ArgumentException>(() => connector.ExecuteAsync(new SetKeyRotation(AssetId.KmsKey(KmsFake.FinanceAccount, "eu-west-1", finance), true), CancellationToken.None));
        await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.ReadAssetAsync(AssetId.KmsKey(KmsFake.FinanceAccount, "us-east-1", KmsFake.KeyIdOf("aws0", 20)), CancellationToken.None));
        await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.ExecuteAsync(new SetKeyRotation(AssetId.KmsKey(KmsFake.FinanceAccount, "us-east-1", KmsFake.KeyIdOf("mk01", 21)), true), CancellationToken.None));
        await Assert.ThrowsAsync<KmsKeyNotRotatableException>(() => connector.ExecuteAsync(new SetKeyRotation(AssetId.KmsKey(KmsFake.FinanceAccount, "us-east-1", KmsFake.KeyIdOf("aws0", 20)), false), CancellationToken.None));

        Assert.DoesNotContain(_kms.Calls, c => c.Operation.EndsWith("KeyRotation", StringComparison.Ordinal) && c.Operation != "GetKeyRotationStatus");
    }

    private KmsKeyConnector Connector(Action<KmsOptions> scope)
    {
        var options = new KmsOptions { Region = _kms.Region, AccountId = KmsFake.FinanceAccount, ServiceUrl = _kms.Url, AccessKeyId = "AKIDEXAMPLE", SecretAccessKey = "fake-secret" };
        scope(options);
        return new KmsKeyConnector("acme-finance-kms", new KmsConnector(KmsConnector.CreateClient(options), options), options,
            new Dictionary<string, string> { ["env"] = "prod" }, TimeProvider.System);
    }
}
