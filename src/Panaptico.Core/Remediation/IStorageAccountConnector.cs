using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>
/// Reads governed state from a storage account and executes typed operations on it. Implemented over
/// Azure.Storage.Blobs; chain handlers (and fault-injecting test harnesses) depend on this, not on the SDK.
/// </summary>
public interface IStorageAccountConnector
{
    /// <summary>The account this connector reads and writes; operations for any other account are refused.</summary>
    string Account { get; }

    /// <summary>A scan: the blob service and every container (optionally only those whose name starts with a prefix).</summary>
    Task<StorageAccountState> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken);

    /// <summary>One asset's current state: for a backup, a verification read-back, or a targeted re-check.</summary>
    Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken);

    /// <summary>Sets the operation's element to its absolute value; running it again changes nothing.</summary>
    Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken);
}
