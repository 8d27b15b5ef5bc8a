using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Connectors.AzureStorage;

/// <summary>
/// Reads a storage account's blob service and containers into the remediation asset model, and executes typed
/// operations as absolute state. Each operation rewrites one element and carries the rest over from a fresh read:
/// the container ACL call sets public access and stored policies together, and service properties are written whole.
/// </summary>
public sealed class AzureStorageConnector : IStorageAccountConnector
{
    // A container ACL write is conditional on the ACL read just before it (If-Unmodified-Since); on a lost race, re-read.
    private const int AclAttempts = 3;

    private readonly BlobServiceClient _service;
    private readonly IReadOnlyDictionary<string, string> _accountTags;
    private readonly TimeProvider _time;

    /// <param name="accountTags">The account's ARM tags (the data plane cannot read them), e.g. from configuration.</param>
    public AzureStorageConnector(BlobServiceClient service, IReadOnlyDictionary<string, string> accountTags, TimeProvider time)
    {
        _service = service;
        _accountTags = accountTags;
        _time = time;
        Account = service.AccountName;
    }

    public string Account { get; }

    public CloudProvider Provider => CloudProvider.Azure;

    public bool Serves(AssetId asset) =>
        asset is { Provider: CloudProvider.Azure } && string.Equals(asset.Account, Account, StringComparison.Ordinal);

    public async Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken)
    {
        var readAt = _time.GetUtcNow();
        var service = await ReadServiceAsync(cancellationToken);
        var containers = new List<ContainerState>();
        await foreach (var item in _service.GetBlobContainersAsync(BlobContainerTraits.Metadata, BlobContainerStates.None, containerPrefix, cancellationToken))
        {
            var client = _service.GetBlobContainerClient(item.Name);
            var acl = (await client.GetAccessPolicyAsync(cancellationToken: cancellationToken)).Value;
            containers.Add(ToContainer(AssetId.BlobContainer(Account, item.Name), item.Properties.Metadata, acl));
        }
        return new StorageAccountState(Account, _accountTags, service, containers, readAt);
    }

    public async Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken)
    {
        CheckAccount(asset);
        if (asset.Kind == AssetKind.BlobService)
        {
            return await ReadServiceAsync(cancellationToken);
        }
        var client = _service.GetBlobContainerClient(asset.Container);
        var properties = (await client.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        var acl = (await client.GetAccessPolicyAsync(cancellationToken: cancellationToken)).Value;
        return ToContainer(asset, properties.Metadata, acl);
    }

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        CheckAccount(operation.Asset);
        switch (operation)
        {
            case SetContainerPublicAccess set:
                await WriteAclAsync(set.Asset, acl => (ToSdk(set.Level), acl.SignedIdentifiers), cancellationToken);
                break;
            case SetContainerAccessPolicies set:
                await WriteAclAsync(set.Asset, acl => (acl.BlobPublicAccess, set.Policies.Select(ToSdk)), cancellationToken);
                break;
            case SetContainerMetadata set:
                await _service.GetBlobContainerClient(set.Asset.Container).SetMetadataAsync(
                    new Dictionary<string, string>(set.Metadata, StringComparer.OrdinalIgnoreCase), cancellationToken: cancellationToken);
                break;
            case SetCorsRules set:
                await WriteServiceAsync(p => p.Cors = [.. set.Rules.Select(ToSdk)], cancellationToken);
                break;
            case SetDeleteRetention set:
                await WriteServiceAsync(p => p.DeleteRetentionPolicy = ToSdk(set.Policy), cancellationToken);
                break;
            case SetAnalyticsLogging set:
                await WriteServiceAsync(p => p.Logging = ToSdk(set.Logging), cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "the Azure Storage connector cannot execute this operation");
        }
    }

    private async Task<BlobServiceState> ReadServiceAsync(CancellationToken cancellationToken)
    {
        var properties = (await _service.GetPropertiesAsync(cancellationToken)).Value;
        return new BlobServiceState(
            AssetId.BlobService(Account),
            [.. (properties.Cors ?? []).Select(FromSdk)],
            FromSdk(properties.DeleteRetentionPolicy),
            FromSdk(properties.Logging));
    }

    // Service properties have no ETag: read, replace one element, write the whole document back.
    private async Task WriteServiceAsync(Action<BlobServiceProperties> change, CancellationToken cancellationToken)
    {
        var properties = (await _service.GetPropertiesAsync(cancellationToken)).Value;
        change(properties);
        await _service.SetPropertiesAsync(properties, cancellationToken);
    }

    private async Task WriteAclAsync(
        AssetId asset,
        Func<BlobContainerAccessPolicy, (PublicAccessType Access, IEnumerable<BlobSignedIdentifier> Identifiers)> change,
        CancellationToken cancellationToken)
    {
        var client = _service.GetBlobContainerClient(asset.Container);
        for (var attempt = 1; ; attempt++)
        {
            var acl = (await client.GetAccessPolicyAsync(cancellationToken: cancellationToken)).Value;
            var (access, identifiers) = change(acl);
            try
            {
                await client.SetAccessPolicyAsync(
                    access,
                    [.. identifiers],
                    new BlobRequestConditions { IfUnmodifiedSince = acl.LastModified },
                    cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412 && attempt < AclAttempts)
            {
                // Someone else wrote the ACL between our read and write: read again so their change is carried over.
            }
        }
    }

    private void CheckAccount(AssetId asset)
    {
        if (asset.Provider != CloudProvider.Azure || !string.Equals(asset.Account, Account, StringComparison.Ordinal))
        {
            throw new ArgumentException($"this connector serves account {Account}, not {asset.Account}", nameof(asset));
        }
    }

    private static ContainerState ToContainer(AssetId id, IDictionary<string, string>? metadata, BlobContainerAccessPolicy acl) =>
        new(
            id,
            acl.BlobPublicAccess switch
            {
                PublicAccessType.Blob => PublicAccessLevel.Blob,
                PublicAccessType.BlobContainer => PublicAccessLevel.Container,
                _ => PublicAccessLevel.None,
            },
            new SortedDictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            [.. acl.SignedIdentifiers.Select(s => new StoredAccessPolicy(
                s.Id,
                s.AccessPolicy?.Permissions ?? "",
                s.AccessPolicy?.PolicyStartsOn,
                s.AccessPolicy?.PolicyExpiresOn))]);

    private static CorsRule FromSdk(BlobCorsRule rule) => new(
        List(rule.AllowedOrigins), List(rule.AllowedMethods), List(rule.AllowedHeaders), List(rule.ExposedHeaders), rule.MaxAgeInSeconds);

    private static RetentionPolicy FromSdk(BlobRetentionPolicy? policy) =>
        policy is { Enabled: true } ? new RetentionPolicy(true, policy.Days) : RetentionPolicy.Disabled;

    private static AnalyticsLogging FromSdk(BlobAnalyticsLogging? logging) => logging is null
        ? new AnalyticsLogging("1.0", false, false, false, RetentionPolicy.Disabled)
        : new AnalyticsLogging(logging.Version ?? "1.0", logging.Read, logging.Write, logging.Delete, FromSdk(logging.RetentionPolicy));

    private static PublicAccessType ToSdk(PublicAccessLevel level) => level switch
    {
        PublicAccessLevel.Blob => PublicAccessType.Blob,
        PublicAccessLevel.Container => PublicAccessType.BlobContainer,
        _ => PublicAccessType.None,
    };

    private static BlobSignedIdentifier ToSdk(StoredAccessPolicy policy) => new()
    {
        Id = policy.Id,
        AccessPolicy = new BlobAccessPolicy
        {
            Permissions = policy.Permissions,
            PolicyStartsOn = policy.StartsOn,
            PolicyExpiresOn = policy.ExpiresOn,
        },
    };

    private static BlobCorsRule ToSdk(CorsRule rule) => new()
    {
        AllowedOrigins = string.Join(',', rule.AllowedOrigins),
        AllowedMethods = string.Join(',', rule.AllowedMethods),
        AllowedHeaders = string.Join(',', rule.AllowedHeaders),
        ExposedHeaders = string.Join(',', rule.ExposedHeaders),
        MaxAgeInSeconds = rule.MaxAgeInSeconds,
    };

    private static BlobRetentionPolicy ToSdk(RetentionPolicy policy) =>
        new() { Enabled = policy.Enabled, Days = policy.Enabled ? policy.Days : null };

    private static BlobAnalyticsLogging ToSdk(AnalyticsLogging logging) => new()
    {
        Version = logging.Version,
        Read = logging.Read,
        Write = logging.Write,
        Delete = logging.Delete,
        RetentionPolicy = ToSdk(logging.Retention),
    };

    private static List<string> List(string? commaSeparated) =>
        string.IsNullOrEmpty(commaSeparated) ? [] : [.. commaSeparated.Split(',', StringSplitOptions.TrimEntries)];
}
