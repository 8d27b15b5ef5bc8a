using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Connectors.S3;

/// <summary>Where an S3 API is and the key pair Panaptico signs with.</summary>
public sealed record S3Endpoint(Uri ServiceUrl, string AccessKeyId, string SecretAccessKey, string Region = "us-east-1")
{
    /// <summary>
    /// A client for this endpoint: path-style addressing (no bucket DNS names on loopback), SigV4 for
    /// <see cref="Region"/>, and checksums only where an operation requires one (neither Swift nor radosgw here
    /// handles the SDK's default flexible checksums).
    /// </summary>
    public AmazonS3Client CreateClient() => new(
        new BasicAWSCredentials(AccessKeyId, SecretAccessKey),
        new AmazonS3Config
        {
            ServiceURL = ServiceUrl.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>Reads <c>ServiceUrl=…;AccessKeyId=…;SecretAccessKey=…[;Region=…]</c> (the form tests get the endpoint in).</summary>
    public static S3Endpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "", StringComparer.OrdinalIgnoreCase);
        string Part(string name) => parts.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new FormatException($"the S3 endpoint has no {name} (ServiceUrl=…;AccessKeyId=…;SecretAccessKey=…)");
        return new S3Endpoint(new Uri(Part("ServiceUrl")), Part("AccessKeyId"), Part("SecretAccessKey"),
            parts.TryGetValue("Region", out var region) && region.Length > 0 ? region : "us-east-1");
    }

    public override string ToString() => $"{ServiceUrl} as {AccessKeyId}";
}

/// <summary>
/// Reads S3 buckets into the remediation asset model (ACL, tags, public access block, policy, versioning) and executes
/// typed S3 operations as absolute state. It serves the buckets of one governed account: those whose name starts with
/// <paramref name="bucketPrefix"/>; anything else is refused before a request is sent. ACL grants are written as
/// <c>x-amz-grant-*</c> headers, the one form every S3 API here takes (the SDK's <c>AccessControlPolicy</c> body is
/// refused by Swift and radosgw). An element the endpoint does not implement (501, or its own NotImplemented code)
/// reads as null: not judged by any pattern.
/// </summary>
public sealed class S3Connector(
    string account, IAmazonS3 client, string bucketPrefix, IReadOnlyDictionary<string, string> accountTags, TimeProvider time)
    : IStorageAccountConnector
{
    public string Account { get; } = account;

    public CloudProvider Provider => CloudProvider.Aws;

    /// <summary>Any bucket: bucket names are global, and the governed account's prefix says which are its own.</summary>
    public bool Serves(AssetId asset) => asset is { Kind: AssetKind.S3Bucket };

    public async Task<AccountScan> ReadAccountAsync(string? containerPrefix, CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var prefix = containerPrefix is { Length: > 0 } narrower && narrower.StartsWith(bucketPrefix, StringComparison.Ordinal) ? narrower : bucketPrefix;
        var listed = await client.ListBucketsAsync(new ListBucketsRequest(), cancellationToken);
        var buckets = new List<S3BucketState>();
        foreach (var bucket in (listed.Buckets ?? []).Where(b => b.BucketName.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(b => b.BucketName, StringComparer.Ordinal))
        {
            if (AssetId.TryParse(AssetId.S3Scheme + bucket.BucketName, out var asset))
            {
                buckets.Add(await ReadBucketAsync(asset, cancellationToken));
            }
        }
        return new S3AccountState(Account, accountTags, buckets, readAt);
    }

    public async Task<AssetState> ReadAssetAsync(AssetId asset, CancellationToken cancellationToken) =>
        await ReadBucketAsync(Check(asset), cancellationToken);

    public async Task ExecuteAsync(StorageOperation operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        var bucket = Check(operation.Asset).Bucket!;
        switch (operation)
        {
            case SetBucketCannedAcl { Acl: S3CannedAcl.Private }:
                await client.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.Private }, cancellationToken);
                break;
            case SetBucketAcl set:
                await client.PutBucketAclAsync(GrantHeaders(bucket, set.Acl), cancellationToken);
                break;
            case SetPublicAccessBlock set:
                await client.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
                {
                    BucketName = bucket,
                    PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration
                    {
                        BlockPublicAcls = set.Block.BlockPublicAcls,
                        IgnorePublicAcls = set.Block.IgnorePublicAcls,
                        BlockPublicPolicy = set.Block.BlockPublicPolicy,
                        RestrictPublicBuckets = set.Block.RestrictPublicBuckets,
                    },
                }, cancellationToken);
                break;
            case SetBucketPolicy { Policy.Document: null }:
                await client.DeleteBucketPolicyAsync(new DeleteBucketPolicyRequest { BucketName = bucket }, cancellationToken);
                break;
            case SetBucketPolicy set:
                await client.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = set.Policy.Document }, cancellationToken);
                break;
            case SetBucketVersioning set:
                await client.PutBucketVersioningAsync(new PutBucketVersioningRequest
                {
                    BucketName = bucket,
                    VersioningConfig = new S3BucketVersioningConfig
                    {
                        Status = set.Status == S3Versioning.Enabled ? VersionStatus.Enabled : VersionStatus.Suspended,
                    },
                }, cancellationToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.GetType().Name, "the S3 connector cannot execute this operation");
        }
    }

    /// <summary>
    /// The grants as <c>x-amz-grant-*</c> headers, one per permission that has grantees (an empty header is a 400 on
    /// Swift): <c>id="…"</c>, <c>uri="…"</c> or <c>emailAddress="…"</c>, comma-separated.
    /// </summary>
    public static PutBucketAclRequest GrantHeaders(string bucket, BucketAcl acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        string? Header(string permission)
        {
            var grantees = acl.Grants.Where(g => g.Permission == permission).Select(g => g.Grantee switch
            {
                { Id: { } id } => $"id=\"{id}\"",
                { Uri: { } uri } => $"uri=\"{uri}\"",
                { EmailAddress: { } email } => $"emailAddress=\"{email}\"",
                _ => throw new ArgumentException($"a {permission} grantee has no id, uri or address", nameof(acl)),
            }).Distinct().ToList();
            return grantees.Count == 0 ? null : string.Join(", ", grantees);
        }
        return new PutBucketAclRequest
        {
            BucketName = bucket,
            GrantFullControl = Header(AclPermission.FullControl),
            GrantRead = Header(AclPermission.Read),
            GrantWrite = Header(AclPermission.Write),
            GrantReadACP = Header(AclPermission.ReadAcp),
            GrantWriteACP = Header(AclPermission.WriteAcp),
        };
    }

    private async Task<S3BucketState> ReadBucketAsync(AssetId asset, CancellationToken cancellationToken)
    {
        var bucket = asset.Bucket!;
        var acl = await client.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }, cancellationToken);
        var tags = await Optional(async () => (IReadOnlyDictionary<string, string>)new SortedDictionary<string, string>(
            ((await client.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }, cancellationToken)).TagSet ?? [])
                .ToDictionary(t => t.Key, t => t.Value), StringComparer.Ordinal),
            "NoSuchTagSet", new SortedDictionary<string, string>(StringComparer.Ordinal));
        var block = await Optional(async () =>
        {
            // S3 answers all four settings; a 200 without them is an endpoint that ignores the subresource (Swift
            // answers a bucket listing), not a block that is off.
            var configuration = (await client.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }, cancellationToken)).PublicAccessBlockConfiguration;
            return configuration is { BlockPublicAcls: { } acls, IgnorePublicAcls: { } ignore, BlockPublicPolicy: { } policy, RestrictPublicBuckets: { } restrict }
                ? new S3PublicAccessBlock(acls, ignore, policy, restrict)
                : null;
        }, "NoSuchPublicAccessBlockConfiguration", S3PublicAccessBlock.AllOff);
        var policy = await Optional(async () =>
        {
            var document = (await client.GetBucketPolicyAsync(new GetBucketPolicyRequest { BucketName = bucket }, cancellationToken)).Policy;
            return string.IsNullOrEmpty(document) ? S3BucketPolicy.None : new S3BucketPolicy(document);
        }, "NoSuchBucketPolicy", S3BucketPolicy.None);
        var versioning = await Optional<S3Versioning?>(async () =>
            (await client.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = bucket }, cancellationToken)).VersioningConfig?.Status?.Value switch
            {
                "Enabled" => S3Versioning.Enabled,
                "Suspended" => S3Versioning.Suspended,
                _ => S3Versioning.Off,
            }, null, null);
        return new S3BucketState(asset, ToAcl(acl), tags, block, policy, versioning);
    }

    /// <summary>An element's read: <paramref name="absent"/> for the S3 error code saying none is set, null where the endpoint does not implement it.</summary>
    private static async Task<T?> Optional<T>(Func<Task<T>> read, string? absentCode, T absent)
    {
        try
        {
            return await read();
        }
        catch (AmazonS3Exception e) when (absentCode is not null && e.ErrorCode == absentCode)
        {
            return absent;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotImplemented || e.ErrorCode == "NotImplemented")
        {
            return default;
        }
    }

    private static BucketAcl ToAcl(GetBucketAclResponse acl) => new(
        new BucketOwner(acl.Owner?.Id ?? "", acl.Owner?.DisplayName),
        [.. (acl.Grants ?? []).Select(g => new AclGrant(
            new AclGrantee(
                g.Grantee?.Type?.Value ?? "CanonicalUser",
                NullIfEmpty(g.Grantee?.CanonicalUser),
                NullIfEmpty(g.Grantee?.URI),
                NullIfEmpty(g.Grantee?.EmailAddress),
                NullIfEmpty(g.Grantee?.DisplayName)),
            g.Permission?.Value ?? ""))]);

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private AssetId Check(AssetId asset)
    {
        ArgumentNullException.ThrowIfNull(asset);
        if (asset.Kind != AssetKind.S3Bucket || !asset.Bucket!.StartsWith(bucketPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"S3 account {Account} governs buckets {bucketPrefix}*, not {asset}", nameof(asset));
        }
        return asset;
    }
}
