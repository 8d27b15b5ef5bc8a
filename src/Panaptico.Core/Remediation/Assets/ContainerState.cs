using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

public enum PublicAccessLevel
{
    None,
    Blob,
    Container,
}

/// <summary>A blob container: anonymous access level, metadata (its tags) and stored access policies.</summary>
public sealed record ContainerState(
    AssetId Id,
    PublicAccessLevel PublicAccess,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<StoredAccessPolicy> AccessPolicies) : AssetState(Id)
{
    [JsonIgnore]
    public string Name => Id.Container!;

    [JsonIgnore]
    public override IReadOnlyDictionary<string, string> OwnTags => Metadata;
}

/// <summary>
/// A stored access policy (signed identifier). SAS tokens that name it inherit its permissions and expiry.
/// Permissions are kept in the service's canonical order so a read-back compares equal to what was written.
/// </summary>
public sealed record StoredAccessPolicy
{
    // The order the service returns container permissions in.
    private const string CanonicalOrder = "racwdxyltfmeopi";

    public StoredAccessPolicy(string id, string permissions, DateTimeOffset? startsOn, DateTimeOffset? expiresOn)
    {
        Id = id;
        Permissions = Canonical(permissions);
        StartsOn = startsOn?.ToUniversalTime();
        ExpiresOn = expiresOn?.ToUniversalTime();
    }

    public string Id { get; }

    public string Permissions { get; }

    public DateTimeOffset? StartsOn { get; }

    public DateTimeOffset? ExpiresOn { get; }

    /// <summary>Write (w), add (a) or create (c).</summary>
    [JsonIgnore]
    public bool GrantsWrite => Permissions.IndexOfAny(['w', 'a', 'c']) >= 0;

    /// <summary>Delete (d), delete version (x) or permanent delete (y).</summary>
    [JsonIgnore]
    public bool GrantsDelete => Permissions.IndexOfAny(['d', 'x', 'y']) >= 0;

    public override string ToString() =>
        $"permissions={Permissions}; start={AzureTime.Format(StartsOn)}; expiry={AzureTime.Format(ExpiresOn)}";

    private static string Canonical(string permissions) =>
        new(permissions.Distinct()
            .OrderBy(c => CanonicalOrder.IndexOf(c, StringComparison.Ordinal) is var i and >= 0 ? i : CanonicalOrder.Length + c)
            .ToArray());
}
