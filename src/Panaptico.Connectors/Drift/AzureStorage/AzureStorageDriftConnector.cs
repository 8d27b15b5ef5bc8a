using System.Text;
using Panaptico.Core.Drift;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Storage.Remediation;

namespace Panaptico.Connectors.Drift.AzureStorage;

/// <summary>
/// Live state of Azure Storage objects: a graph object whose id or an alias is an asset id
/// (<c>azure-blob://account</c> for the blob service, <c>azure-blob://account/container</c> for a container), read
/// through the remediation connector of its account (<see cref="StorageDriftFields"/> names the fields). A container
/// can be frozen: public access off and a <c>panaptico_frozen</c> metadata flag; the account-wide blob service cannot.
/// </summary>
public sealed class AzureStorageDriftConnector(GovernedAccounts accounts, TimeProvider time) : IFreezableConnector
{
    public const string ConnectorKind = "azure-storage";

    public string Kind => ConnectorKind;

    public async Task<LiveObject> ReadAsync(GraphObject obj, CancellationToken ct)
    {
        var asset = AssetOf(obj);
        var state = await accounts.ConnectorFor(asset).ReadAssetAsync(asset, ct);
        return new LiveObject(obj.Id, StorageDriftFields.Of(state), time.GetUtcNow());
    }

    public async Task<FreezeOutcome> FreezeAsync(GraphObject obj, string reason, CancellationToken ct)
    {
        var asset = AssetOf(obj);
        if (asset.Kind == AssetKind.BlobService)
        {
            return new FreezeOutcome(false, $"{asset} is the account-wide blob service: there is nothing to freeze without stopping the account");
        }
        var connector = accounts.ConnectorFor(asset);
        var container = (ContainerState)await connector.ReadAssetAsync(asset, ct);
        var done = new List<string>();
        if (container.PublicAccess != PublicAccessLevel.None)
        {
            await connector.ExecuteAsync(new SetContainerPublicAccess(asset, PublicAccessLevel.None), ct);
            done.Add($"public access {container.PublicAccess.ToString().ToLowerInvariant()} → none");
        }
        if (!container.Metadata.Keys.Any(k => string.Equals(k, StorageDriftFields.FrozenMetadataKey, StringComparison.OrdinalIgnoreCase)))
        {
            var metadata = new Dictionary<string, string>(container.Metadata, StringComparer.OrdinalIgnoreCase)
            {
                [StorageDriftFields.FrozenMetadataKey] = $"{AzureTime.Format(time.GetUtcNow())} {Ascii(reason)}",
            };
            await connector.ExecuteAsync(new SetContainerMetadata(asset, metadata), ct);
            done.Add($"flagged {StorageDriftFields.FrozenMetadataKey}");
        }
        return new FreezeOutcome(true, done.Count == 0 ? $"{asset} was already frozen" : $"{asset}: {string.Join("; ", done)}");
    }

    /// <exception cref="ArgumentException">Neither the id nor an alias is an asset id.</exception>
    public static AssetId AssetOf(GraphObject obj)
    {
        foreach (var reference in obj.References)
        {
            if (AssetId.TryParse(reference, out var asset))
            {
                return asset;
            }
        }
        throw new ArgumentException($"graph object {obj.Id} names no Azure Storage asset ({AssetId.Scheme}account[/container]) in its id or aliases", nameof(obj));
    }

    // Metadata values travel as HTTP headers: printable ASCII only, and short.
    private static string Ascii(string text)
    {
        var ascii = new StringBuilder();
        foreach (var c in text.Where(c => c is >= ' ' and <= '~').Take(200))
        {
            ascii.Append(c);
        }
        return ascii.ToString();
    }
}
