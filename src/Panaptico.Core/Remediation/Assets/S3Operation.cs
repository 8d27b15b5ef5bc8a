namespace Panaptico.Core.Remediation.Assets;

/// <summary>A write on an S3 bucket; rendered as an <c>aws s3api</c> command (<see cref="AwsCli"/>), executed by the S3 connector.</summary>
public abstract record S3Operation(AssetId Asset) : StorageOperation(Asset)
{
    private protected S3BucketState Bucket(AssetState state) => Expect<S3BucketState>(state, Asset);
}

public enum S3CannedAcl
{
    /// <summary>The owner keeps FULL_CONTROL; every other grant goes.</summary>
    Private,
}

/// <summary>Replaces the bucket's ACL with a canned one (<c>put-bucket-acl --acl private</c>).</summary>
public sealed record SetBucketCannedAcl(AssetId Asset, S3CannedAcl Acl) : S3Operation(Asset)
{
    public override AssetState ApplyTo(AssetState state)
    {
        var bucket = Bucket(state);
        var owner = bucket.Acl?.Owner ?? throw new ArgumentException($"{Asset}: the ACL's owner was not read", nameof(state));
        return bucket with { Acl = BucketAcl.Private(owner) };
    }
}

/// <summary>
/// Replaces the bucket's ACL with these exact grants. <paramref name="PolicyFile"/> is the snapshot file the command
/// names (<c>--access-control-policy file://…</c>); the connector sends the grants as <c>x-amz-grant-*</c> headers.
/// </summary>
public sealed record SetBucketAcl(AssetId Asset, BucketAcl Acl, string PolicyFile) : S3Operation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Bucket(state) with { Acl = Acl };
}

public sealed record SetPublicAccessBlock(AssetId Asset, S3PublicAccessBlock Block) : S3Operation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Bucket(state) with { PublicAccessBlock = Block };
}

/// <summary>Sets the bucket policy to <see cref="S3BucketPolicy.Document"/> exactly, or deletes it when that is null.</summary>
public sealed record SetBucketPolicy(AssetId Asset, S3BucketPolicy Policy) : S3Operation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Bucket(state) with { Policy = Policy };
}

/// <summary>Enables or suspends versioning (S3 cannot turn it back off once enabled).</summary>
public sealed record SetBucketVersioning(AssetId Asset, S3Versioning Status) : S3Operation(Asset)
{
    public override AssetState ApplyTo(AssetState state) => Status == S3Versioning.Off
        ? throw new ArgumentException("versioning can be enabled or suspended, not turned off", nameof(state))
        : Bucket(state) with { Versioning = Status };
}
