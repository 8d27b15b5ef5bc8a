using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Panaptico.Connectors.Kms;
using Panaptico.Testing.Kms;

namespace Panaptico.Connectors.Tests.Kms;

/// <summary>The KMS connector over the KMS fake (JSON protocol, SigV4 scope and body checked on every request).</summary>
public sealed class KmsConnectorTests : IDisposable
{
    private readonly KmsFake _kms = KmsFake.Finance(disabled: "2e19");

    public void Dispose() => _kms.Dispose();

    [Fact]
    public async Task Listing_pages_through_every_key_and_keeps_the_fourteen_finance_keys_in_scope()
    {
        _kms.MaxPageSize = 5;
        var connector = Connector(o => o.AliasPrefix = "alias/finance/", pageSize: 5);

        var keys = await connector.ListKeysInScopeAsync(narrower: null, CancellationToken.None);

        Assert.Equal(14, keys.Count);
        Assert.All(keys, k => Assert.StartsWith("alias/finance/", k.Aliases.Single(), StringComparison.Ordinal));
        Assert.Equal(_kms.Keys.Take(14).Select(k => k.Arn).Order(StringComparer.Ordinal), keys.Select(k => k.Arn));
        // 17 keys in pages of 5: four ListKeys calls, each after the first carrying the previous page's marker.
        var listCalls = _kms.Calls.Where(c => c.Operation == "ListKeys").ToList();
        Assert.Equal([null, "page-5", "page-10", "page-15"], listCalls.Select(c => (string?)c.Body["Marker"]));
        Assert.All(listCalls, c => Assert.Equal(5, (int)c.Body["Limit"]!));
        Assert.Empty(_kms.Refused);
    }

    [Fact]
    public async Task Scope_by_tag_or_listed_keys_admits_the_same_keys_as_by_alias()
    {
        var byTag = await Connector(o => o.Tags["domain"] = "finance").ListKeysInScopeAsync(null, CancellationToken.None);
        Assert.Equal(14, byTag.Count);
        Assert.True(_kms.CallsOf("ListResourceTags") > 0);

        var listed = Connector(o => { o.KeyIds.Add(_kms.Keys[0].KeyId); o.KeyIds.Add(_kms.Keys[1].Arn); });
        Assert.Equal(2, (await listed.ListKeysInScopeAsync(null, CancellationToken.None)).Count);
        Assert.Empty(_kms.Refused);
    }

    [Fact]
    public async Task A_key_outside_the_scope_is_refused_and_never_written()
    {
        var connector = Connector(o => o.AliasPrefix = "alias/finance/");
        var marketing = _kms.Keys.Single(k => k.Aliases.Contains("alias/marketing/crm"));

        var described = await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.DescribeKeyAsync(marketing.KeyId, CancellationToken.None));
        Assert.Equal($"{marketing.Arn} is outside the governed key scope (alias prefix alias/finance/)", described.Message);
        await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.EnableRotationAsync(marketing.KeyId, 365, CancellationToken.None));
        await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.GetRotationAsync(marketing.Arn, CancellationToken.None));

        Assert.Equal(0, _kms.CallsOf("EnableKeyRotation") + _kms.CallsOf("GetKeyRotationStatus"));
        Assert.False(marketing.RotationEnabled);
    }

    [Fact]
    public async Task A_key_of_another_account_is_refused_even_when_its_alias_is_in_scope()
    {
        var connector = Connector(o => { o.AliasPrefix = "alias/finance/"; o.AccountId = "999988887777"; });

        var refused = await Assert.ThrowsAsync<KmsKeyOutOfScopeException>(() => connector.DescribeKeyAsync("alias/finance/ledger", CancellationToken.None));
        Assert.Contains($"belongs to account {KmsFake.FinanceAccount}; this connector governs 999988887777", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await connector.ListKeysInScopeAsync(null, CancellationToken.None));
    }

    [Fact]
    public async Task Enabling_rotation_flips_the_key_once_and_a_second_run_sends_nothing()
    {
        var connector = Connector(o => o.AliasPrefix = "alias/finance/");
        var key = _kms.Keys.Single(k => k.KeyId.StartsWith("2e19", StringComparison.Ordinal));
        Assert.Equal(false, (await connector.GetRotationAsync(key.KeyId, CancellationToken.None)).Enabled);

        Assert.True(await connector.EnableRotationAsync(key.KeyId, 365, CancellationToken.None));
        Assert.False(await connector.EnableRotationAsync(key.KeyId, 365, CancellationToken.None));

        var rotation = await connector.GetRotationAsync(key.Arn, CancellationToken.None);
        Assert.Equal((true, 365), (rotation.Enabled, rotation.PeriodInDays));
        Assert.Equal((true, 365), (key.RotationEnabled, key.RotationPeriodInDays));
        var enable = Assert.Single(_kms.Calls, c => c.Operation == "EnableKeyRotation");
        Assert.Equal((key.KeyId, 365), ((string?)enable.Body["KeyId"], (int)enable.Body["RotationPeriodInDays"]!));
        Assert.Empty(_kms.Refused);
    }

    [Fact]
    public async Task Keys_that_cannot_rotate_are_reported_as_such_and_never_enabled()
    {
        var aws = _kms.Keys.Single(k => k.KeyManager == "AWS");
        var signing = _kms.Keys.Single(k => k.KeySpec == "ECC_NIST_P256");
        var connector = Connector(o => { o.KeyIds.Add(aws.KeyId); o.KeyIds.Add(signing.KeyId); });

        var rotations = await connector.ReadRotationAsync(null, CancellationToken.None);

        Assert.Equal(["AWS-managed, not customer-managed", "ECC_NIST_P256, not symmetric"],
            rotations.OrderBy(r => r.Key.KeyManager, StringComparer.Ordinal).Select(r => r.Key.NotRotatable));
        Assert.All(rotations, r => Assert.Null(r.Enabled));
        var refused = await Assert.ThrowsAsync<KmsKeyNotRotatableException>(() => connector.EnableRotationAsync(signing.KeyId, 365, CancellationToken.None));
        Assert.Equal($"{signing.Arn} cannot rotate automatically: ECC_NIST_P256, not symmetric", refused.Message);
        Assert.Equal(0, _kms.CallsOf("EnableKeyRotation") + _kms.CallsOf("GetKeyRotationStatus"));
    }

    [Fact]
    public async Task A_missing_key_comes_back_as_the_documented_NotFoundException()
    {
        var connector = Connector(o => o.AliasPrefix = "alias/finance/");

        var missing = await Assert.ThrowsAsync<NotFoundException>(() => connector.DescribeKeyAsync("alias/finance/nope", CancellationToken.None));

        Assert.Equal("Key 'alias/finance/nope' does not exist", missing.Message);
        Assert.Equal("NotFoundException", missing.ErrorCode);
    }

    [Fact]
    public async Task The_fake_refuses_a_request_signed_for_another_region()
    {
        using var client = KmsConnector.CreateClient(Options(o => { o.AliasPrefix = "alias/finance/"; o.Region = "eu-west-1"; }));

        var refused = await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => client.ListKeysAsync(new ListKeysRequest()));

        Assert.Equal("InvalidSignatureException", refused.ErrorCode);
        Assert.Equal(["ListKeys: credential scope eu-west-1/kms, expected us-east-1/kms"], _kms.Refused);
    }

    [Fact]
    public async Task The_rotation_check_reports_thirteen_enabled_and_one_disabled_key_by_arn()
    {
        var check = new KmsRotationCheck(Connector(o => o.Tags["domain"] = "finance"));
        Assert.NotNull(check.ValidateScope(new Dictionary<string, string> { ["region"] = "us-east-1" }));

        var items = await check.PullAsync(new Dictionary<string, string> { ["aliasPrefix"] = "alias/finance/" }, CancellationToken.None);

        Assert.Equal(14, items.Count);
        Assert.Equal(13, items.Count(i => i.Observed["rotation"] == "enabled" && i.Observed["period"] == "365d"));
        var disabled = Assert.Single(items, i => i.Observed["rotation"] == "disabled");
        Assert.Equal(_kms.Keys.Single(k => k.KeyId.StartsWith("2e19", StringComparison.Ordinal)).Arn, disabled.ItemId);
        Assert.False(disabled.Observed.ContainsKey("period"));
    }

    private KmsConnector Connector(Action<KmsOptions> scope, int pageSize = 100)
    {
        var options = Options(scope);
        options.PageSize = pageSize;
        return new KmsConnector(KmsConnector.CreateClient(options), options);
    }

    private KmsOptions Options(Action<KmsOptions> configure)
    {
        var options = new KmsOptions { Region = _kms.Region, ServiceUrl = _kms.Url, AccessKeyId = "AKIDEXAMPLE", SecretAccessKey = "fake-secret" };
        configure(options);
        return options;
    }
}
