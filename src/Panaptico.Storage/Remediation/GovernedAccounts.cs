using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Storage.Remediation;

/// <summary>
/// One storage account the scan reads and the chain remediates, and which of its assets are in scope:
/// containers whose name starts with <paramref name="ContainerPrefix"/> (all when empty) and, when
/// <paramref name="IncludeBlobService"/>, the account-wide blob service properties.
/// </summary>
public sealed record GovernedAccount(IStorageAccountConnector Connector, string ContainerPrefix = "", bool IncludeBlobService = true)
{
    public string Account => Connector.Account;

    /// <summary>The account's ARM tags (as given to its connector), which a targeted re-check of one asset needs.</summary>
    public IReadOnlyDictionary<string, string> AccountTags { get; init; } = new Dictionary<string, string>();

    public bool Covers(AssetId asset) =>
        string.Equals(asset.Account, Account, StringComparison.Ordinal)
        && (asset.Kind == AssetKind.BlobService
            ? IncludeBlobService
            : asset.Container!.StartsWith(ContainerPrefix, StringComparison.Ordinal));
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
    }

    public IReadOnlyCollection<GovernedAccount> All => _accounts.Values;

    /// <summary>The account that governs <paramref name="asset"/>, or null when it is out of scope.</summary>
    public GovernedAccount? Governing(AssetId asset) =>
        _accounts.TryGetValue(asset.Account, out var account) && account.Covers(asset) ? account : null;

    /// <summary>The connector that reads and writes <paramref name="asset"/>.</summary>
    /// <exception cref="InvalidOperationException">No configured account serves it.</exception>
    public IStorageAccountConnector ConnectorFor(AssetId asset) =>
        _accounts.TryGetValue(asset.Account, out var account)
            ? account.Connector
            : throw new InvalidOperationException($"no governed storage account {asset.Account} is configured");
}
