using System.Collections.Immutable;

namespace Panaptico.Core.Remediation.Assets;

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
    DateTimeOffset ReadAt)
{
    public IEnumerable<AssetState> Assets => Containers.Prepend<AssetState>(Service);

    /// <summary>Account tags overlaid with the container's metadata: a container inherits <c>env</c> unless it says otherwise.</summary>
    public IReadOnlyDictionary<string, string> TagsOf(AssetState asset)
    {
        var tags = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in AccountTags)
        {
            tags[key] = value;
        }
        if (asset is ContainerState container)
        {
            foreach (var (key, value) in container.Metadata)
            {
                tags[key] = value;
            }
        }
        return tags.ToImmutable();
    }
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
