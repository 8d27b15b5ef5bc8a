using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Storage.Remediation;

/// <summary>
/// One storage account the scan reads and the chain remediates, and which of its assets are in scope. Azure: containers
/// whose name starts with <paramref name="ContainerPrefix"/> (all when empty) and, when <paramref name="IncludeBlobService"/>,
/// the account-wide blob service properties. S3: the buckets whose name starts with <paramref name="ContainerPrefix"/>
/// (bucket names are global, so the prefixes of two S3 accounts must not overlap). KMS: the keys of the connector's AWS
/// account and region (the connector's own key scope narrows them; the prefix is unused).
/// </summary>
public sealed record GovernedAccount(IStorageAccountConnector Connector, string ContainerPrefix = "", bool IncludeBlobService = true)
{
    public string Account => Connector.Account;

    /// <summary>The account's ARM tags (as given to its connector), which a targeted re-check of one asset needs.</summary>
    public IReadOnlyDictionary<string, string> AccountTags { get; init; } = new Dictionary<string, string>();

    public CloudProvider Provider => Connector.Provider;

    public bool Covers(AssetId asset) => Connector.Serves(asset) && asset.Kind switch
    {
        AssetKind.S3Bucket => asset.Bucket!.StartsWith(ContainerPrefix, StringComparison.Ordinal),
        AssetKind.BlobService => IncludeBlobService,
        AssetKind.BlobContainer => asset.Container!.StartsWith(ContainerPrefix, StringComparison.Ordinal),
        _ => true,
    };
}

/// <summary>The accounts under remediation, by name.</summary>
public sealed class GovernedAccounts
{
    private readonly Dictionary<string, GovernedAccount> _accounts;

    public GovernedAccounts(IEnumerable<GovernedAccount> accounts)
    {
        _accounts = new Dictionary<string, GovernedAccount>(StringComparer.Ordinal);
        foreach (var account in accounts)
        {
            if (!_accounts.TryAdd(account.Account, account))
            {
                throw new ArgumentException($"storage account {account.Account} is configured twice", nameof(accounts));
            }
        }
        var s3 = _accounts.Values.Where(a => a.Connector.Serves(AnyBucket)).ToList();
        if (s3.FirstOrDefault(a => s3.Any(b => b != a && b.ContainerPrefix.StartsWith(a.ContainerPrefix, StringComparison.Ordinal))) is { } overlapping)
        {
            throw new ArgumentException($"S3 account {overlapping.Account}'s bucket prefix '{overlapping.ContainerPrefix}' overlaps another's; a bucket must have one governing account", nameof(accounts));
        }
    }

    // Which accounts serve S3 buckets (and so must not have overlapping prefixes): those whose connector serves a bucket.
    private static readonly AssetId AnyBucket = AssetId.S3Bucket("any-bucket");

    public IReadOnlyCollection<GovernedAccount> All => _accounts.Values;

    /// <summary>The account that governs <paramref name="asset"/>, or null when it is out of scope.</summary>
    public GovernedAccount? Governing(AssetId asset) => asset.Provider == CloudProvider.Aws
        ? _accounts.Values.FirstOrDefault(a => a.Covers(asset))
        : _accounts.TryGetValue(asset.Account, out var account) && account.Covers(asset) ? account : null;

    /// <summary>
    /// The connector that reads and writes <paramref name="asset"/>: its Azure account's, the S3 account whose prefix
    /// covers the bucket, or the KMS account of the key's AWS account and region.
    /// </summary>
    /// <exception cref="InvalidOperationException">No configured account serves it.</exception>
    public IStorageAccountConnector ConnectorFor(AssetId asset) => asset.Provider == CloudProvider.Aws
        ? Governing(asset)?.Connector ?? throw new InvalidOperationException($"no governed AWS account covers {asset}")
        : _accounts.TryGetValue(asset.Account, out var account) && account.Provider == CloudProvider.Azure
            ? account.Connector
            : throw new InvalidOperationException($"no governed storage account {asset.Account} is configured");
}
