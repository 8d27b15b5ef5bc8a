using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// Reads governed state from one storage account (an Azure storage account, an S3 account's buckets, or the KMS keys
/// of an AWS account and region) and executes typed operations on it. Implemented over Azure.Storage.Blobs, AWSSDK.S3
/// and AWSSDK.KeyManagementService; chain handlers (and fault-injecting
/// test harnesses) depend on this, not on an SDK.
/// </summary>
public interface IStorageAccountConnector
{
    /// <summary>The governed account's name; operations for assets it does not serve are refused.</summary>
    string Account { get; }

    /// <summary>The cloud whose assets this connector serves.</summary>
    CloudProvider Provider { get; }

    /// <summary>
    /// Whether an asset is of a kind and place this connector reads and writes: an Azure connector its account's blob
    /// service and containers, an S3 connector buckets, a KMS connector keys of its AWS account and region. The governed
    /// account narrows it further (a container or bucket prefix; the connector's own key scope).
    /// </summary>
    bool Serves(AssetId asset);

    /// <summary>A scan: every asset (optionally only containers or buckets whose name starts with a prefix).</summary>
    Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken);

    /// <summary>One asset's current state: for a backup, a verification read-back, or a targeted re-check.</summary>
    Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken);

    /// <summary>Sets the operation's element to its absolute value; running it again changes nothing.</summary>
    Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken);
}
