using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Connectors.Kms;

/// <summary>
/// The remediation chain's connector for KMS keys (<c>aws-kms://account/region/keyId</c>), over <see cref="KmsConnector"/>:
/// a scan reads the customer-managed keys in the governed scope with their rotation and tags; a key is read and written
/// only when it is of this account and region, in scope and customer-managed (AWS-managed keys are out of scope:
/// KMS rotates them itself and refuses to change their rotation). Writes are absolute: read first, sent only when the
/// key differs.
/// </summary>
public sealed class KmsKeyConnector : IStorageAccountConnector
{
    private readonly KmsConnector _kms;
    private readonly string _awsAccount;
    private readonly string _region;
    private readonly IReadOnlyDictionary<string, string> _accountTags;
    private readonly TimeProvider _time;

    public KmsKeyConnector(string account, KmsConnector kms, KmsOptions options, IReadOnlyDictionary<string, string> accountTags, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(account);
        ArgumentNullException.ThrowIfNull(options);
        Account = account;
        _kms = kms;
        _awsAccount = options.AccountId is { Length: > 0 } id ? id : throw new ArgumentException("a governed KMS account needs its AWS account id", nameof(options));
        _region = options.Region is { Length: > 0 } region ? region : throw new ArgumentException("a governed KMS account needs its region", nameof(options));
        _accountTags = accountTags;
        _time = time;
    }

    public string Account { get; }

    public CloudProvider Provider => CloudProvider.Aws;

    public bool Serves(AssetId asset) =>
        asset is { Kind: AssetKind.KmsKey } && asset.Account == _awsAccount && asset.Region == _region;

    /// <summary>The customer-managed keys in scope (<paramref name="containerPrefix"/> does not apply to keys).</summary>
    public async Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken)
    {
        var readAt = _time.GetUtcNow();
        var rotations = await _kms.ReadRotationAsync(narrower: null, cancellationToken, withTags: true);
        return new KmsAccountState(Account, _accountTags,
            [.. rotations.Where(r => r.Key.KeyManager == KmsKeyState.CustomerManaged).Select(ToState)], readAt);
    }

    public async Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken)
    {
        var rotation = await _kms.GetRotationAsync(Check(asset).KeyId!, cancellationToken, withTags: true);
        return rotation.Key.KeyManager == KmsKeyState.CustomerManaged
            ? ToState(rotation)
            : throw new KmsKeyOutOfScopeException($"{rotation.Key.Arn} is {rotation.Key.KeyManager}-managed; only customer-managed keys are governed");
    }

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var keyId = Check(operation.Asset).KeyId!;
        switch (operation)
        {
            case SetKeyRotation { Enabled: true } set:
                await _kms.EnableRotationAsync(keyId, set.PeriodInDays, cancellationToken);
                break;
            case SetKeyRotation:
                await _kms.DisableRotationAsync(keyId, cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "the KMS connector cannot execute this operation");
        }
    }

    private KmsKeyState ToState(KmsKeyRotation rotation)
    {
        var key = rotation.Key;
        return new KmsKeyState(
            AssetId.KmsKey(_awsAccount, _region, key.KeyId),
            key.Arn,
            key.KeyManager,
            key.KeyState,
            key.KeySpec,
            key.Origin,
            [.. key.Aliases],
            new SortedDictionary<string, string>(key.Tags.ToDictionary(), StringComparer.Ordinal),
            rotation.Enabled,
            rotation.Enabled == true ? rotation.PeriodInDays : null);
    }

    private AssetId Check(AssetId asset)
    {
        ArgumentNullException.ThrowIfNull(asset);
        return Serves(asset)
            ? asset
            : throw new ArgumentException($"KMS account {Account} governs keys of {_awsAccount} in {_region}, not {asset}", nameof(asset));
    }
}
