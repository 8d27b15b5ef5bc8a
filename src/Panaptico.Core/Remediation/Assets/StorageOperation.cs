using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

/// <summary>
/// A typed write the connector executes. Each sets ONE governed element to an absolute value and leaves the
/// rest of the asset alone, so running it twice is the same as running it once.
/// <see cref="ApplyTo"/> is the same write on the model: it predicts the state after the connector runs it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(SetContainerPublicAccess), "set-container-public-access")]
[JsonDerivedType(typeof(SetContainerAccessPolicies), "set-container-access-policies")]
[JsonDerivedType(typeof(SetCorsRules), "set-cors-rules")]
[JsonDerivedType(typeof(SetDeleteRetention), "set-delete-retention")]
[JsonDerivedType(typeof(SetAnalyticsLogging), "set-analytics-logging")]
[JsonDerivedType(typeof(SetBucketCannedAcl), "s3-set-bucket-canned-acl")]
[JsonDerivedType(typeof(SetBucketAcl), "s3-set-bucket-acl")]
[JsonDerivedType(typeof(SetPublicAccessBlock), "s3-set-public-access-block")]
[JsonDerivedType(typeof(SetBucketPolicy), "s3-set-bucket-policy")]
[JsonDerivedType(typeof(SetBucketVersioning), "s3-set-bucket-versioning")]
[JsonDerivedType(typeof(SetContainerMetadata), "set-container-metadata")]
[JsonDerivedType(typeof(SetKeyRotation), "kms-set-key-rotation")]
public abstract record StorageOperation(AssetId Asset)
{
    public abstract AssetState ApplyTo(AssetState state);

    private protected static T Expect<T>(AssetState state, AssetId asset) where T : AssetState =>
        state is T typed && typed.Id == asset
            ? typed
            : throw new ArgumentException($"operation for {asset} cannot apply to {state.Id} ({state.GetType().Name})", nameof(state));
}

public sealed record SetContainerPublicAccess(AssetId Asset, PublicAccessLevel Level) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<ContainerState>(state, Asset) with { PublicAccess = Level };
}

public sealed record SetContainerAccessPolicies(AssetId Asset, IReadOnlyList<StoredAccessPolicy> Policies) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<ContainerState>(state, Asset) with { AccessPolicies = Policies };
}

public sealed record SetCorsRules(AssetId Asset, IReadOnlyList<CorsRule> Rules) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<BlobServiceState>(state, Asset) with { Cors = Rules };
}

public sealed record SetDeleteRetention(AssetId Asset, RetentionPolicy Policy) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<BlobServiceState>(state, Asset) with { DeleteRetention = Policy };
}

public sealed record SetAnalyticsLogging(AssetId Asset, AnalyticsLogging Logging) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<BlobServiceState>(state, Asset) with { Logging = Logging };
}

/// <summary>Replaces a container's metadata whole (the service has no per-key write); drift's freeze adds its flag this way.</summary>
public sealed record SetContainerMetadata(AssetId Asset, IReadOnlyDictionary<string, string> Metadata) : StorageOperation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Expect<ContainerState>(state, Asset) with { Metadata = Metadata };
}
