using System.Text.Json.Serialization;

namespace Panaptico.Core.Remediation.Assets;

/// <summary>
/// The state of one governed asset as read from the account. A backup is one of these, taken before a fix writes.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(BlobServiceState), "blob-service")]
[JsonDerivedType(typeof(ContainerState), "blob-container")]
[JsonDerivedType(typeof(S3BucketState), "s3-bucket")]
[JsonDerivedType(typeof(KmsKeyState), "aws-kms-key")]
public abstract record AssetState(AssetId Id)
{
    /// <summary>The tags the asset itself carries (container metadata, bucket tags), which override its account's.</summary>
    [JsonIgnore]
    public virtual IReadOnlyDictionary<string, string> OwnTags { get; } = new Dictionary<string, string>();
}

/// <summary>Account-wide blob service properties the patterns govern.</summary>
public sealed record BlobServiceState(
    AssetId Id,
    IReadOnlyList<CorsRule> Cors,
    RetentionPolicy DeleteRetention,
    AnalyticsLogging Logging) : AssetState(Id);

/// <summary>One CORS rule; lists keep the order the service returned them in, so a restore is exact.</summary>
public sealed record CorsRule(
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposedHeaders,
    int MaxAgeInSeconds)
{
    [JsonIgnore]
    public bool AllowsAnyOrigin => AllowedOrigins.Contains("*");

    public override string ToString() =>
        $"origins={string.Join(',', AllowedOrigins)}; methods={string.Join(',', AllowedMethods)}; " +
        $"allowedHeaders={string.Join(',', AllowedHeaders)}; exposedHeaders={string.Join(',', ExposedHeaders)}; maxAge={MaxAgeInSeconds}";
}

/// <summary>A retention switch with its days (blob soft delete, log retention). Days is null when disabled.</summary>
public sealed record RetentionPolicy(bool Enabled, int? Days)
{
    public static readonly RetentionPolicy Disabled = new(false, null);

    public override string ToString() => Enabled ? $"{Days} days" : "disabled";
}

/// <summary>Storage Analytics logging of the blob service.</summary>
public sealed record AnalyticsLogging(string Version, bool Read, bool Write, bool Delete, RetentionPolicy Retention)
{
    [JsonIgnore]
    public string Operations => (Read ? "r" : "") + (Write ? "w" : "") + (Delete ? "d" : "");
}
