namespace Panaptico.Core.Remediation.Patterns.S3;

/// <summary>The S3 bucket patterns, in id order.</summary>
public static class S3Patterns
{
    /// <summary>Production buckets: tagged <c>env=prod</c> (the bucket's tags over its governed account's configured tags).</summary>
    internal static readonly Assets.TagCondition Production = new("env", ["prod", "production"]);

    public static IReadOnlyList<ViolationPattern> All { get; } =
    [
        new PublicAclGrant(),
        new PublicAccessBlockOff(),
        new PublicBucketPolicy(),
        new BucketVersioningOff(),
    ];
}
