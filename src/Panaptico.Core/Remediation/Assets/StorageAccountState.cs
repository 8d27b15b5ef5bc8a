using System.Collections.Immutable;

namespace Panaptico.Core.Remediation.Assets;

/// <summary>
/// What one scan read from one governed account, whatever the cloud: its assets, the tags each carries (the account's
/// tags overlaid with the asset's own), and <see cref="ReadAt"/>, the reference time for rules that look ahead.
/// </summary>
public abstract record AccountScan(string Account, IReadOnlyDictionary<string, string> AccountTags, DateTimeOffset ReadAt)
{
    public abstract IEnumerable<AssetState> Assets { get; }

    /// <summary>Account tags overlaid with the asset's own (container metadata, bucket tags): an asset inherits <c>env</c> unless it says otherwise.</summary>
    public IReadOnlyDictionary<string, string> TagsOf(AssetState asset) => Overlay(AccountTags, asset);

    public static IReadOnlyDictionary<string, string> Overlay(IReadOnlyDictionary<string, string> accountTags, AssetState asset)
    {
        ArgumentNullException.ThrowIfNull(accountTags);
        ArgumentNullException.ThrowIfNull(asset);
        var tags = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in accountTags)
        {
            tags[key] = value;
        }
        foreach (var (key, value) in asset.OwnTags)
        {
            tags[key] = value;
        }
        return tags.ToImmutable();
    }
}

/// <summary>
/// What one scan read from a storage account: its blob service, its containers, and the account's tags
/// (ARM tags, which the data plane cannot read, so they come from configuration or a resource reader).
/// <paramref name="ReadAt"/> is the reference time for rules that look ahead (expiries).
/// </summary>
public sealed record StorageAccountState(
    string Account,
    IReadOnlyDictionary<string, string> AccountTags,
    BlobServiceState Service,
    IReadOnlyList<ContainerState> Containers,
    DateTimeOffset ReadAt) : AccountScan(Account, AccountTags, ReadAt)
{
    public override IEnumerable<AssetState> Assets => Containers.Prepend<AssetState>(Service);
}

/// <summary>Tag look-ups are case-insensitive in key and value, as Azure treats metadata names.</summary>
public sealed record TagCondition(string Key, IReadOnlyList<string> Values)
{
    public bool IsMetBy(IReadOnlyDictionary<string, string> tags) =>
        FindTag(tags, Key) is { } value && Values.Any(v => string.Equals(v, value, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => $"{Key}={string.Join('|', Values)}";

    public static string? FindTag(IReadOnlyDictionary<string, string> tags, string key) =>
        tags.FirstOrDefault(t => string.Equals(t.Key, key, StringComparison.OrdinalIgnoreCase)).Value;
}
