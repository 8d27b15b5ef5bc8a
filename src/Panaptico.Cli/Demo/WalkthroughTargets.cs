using Amazon.S3;
using Amazon.S3.Model;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Panaptico.Connectors.S3;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Storage.Account;

namespace Panaptico.Cli.Demo;

/// <summary>The asset the walkthrough remediates, and how its backup and read-backs are shown.</summary>
internal interface IWalkthroughTarget
{
    AssetId Asset { get; }

    /// <summary>What was made for the walkthrough, in one line.</summary>
    string Created { get; }

    /// <summary>The backup section's first lines: the file and what it captured.</summary>
    IEnumerable<string> Backup(ChangeState state);

    string Verified(FieldCheck check);

    /// <summary>The asset as it reads after the fix, in one line.</summary>
    Task<string> NowAsync(CancellationToken cancellationToken);
}

/// <summary>The Azure walkthrough: a production container on the app's own storage, open to public read.</summary>
internal sealed class ContainerTarget(BlobContainerClient container, AssetId asset) : IWalkthroughTarget
{
    public AssetId Asset => asset;

    public string Created => $"created container {container.Name} (metadata env=prod, owner=platform-security), open to public read";

    public static async Task<ContainerTarget> CreateAsync(StorageAccount storage, CancellationToken cancellationToken)
    {
        var container = storage.Blobs.GetBlobContainerClient(DemoCommand.Container);
        await container.CreateAsync(PublicAccessType.Blob,
            new Dictionary<string, string> { ["env"] = "prod", ["owner"] = "platform-security" }, cancellationToken: cancellationToken);
        await container.GetBlobClient("exports/2026-04/customers.csv").UploadAsync(BinaryData.FromString("id,email\n1,ada@example.com\n"), cancellationToken);
        return new ContainerTarget(container, AssetId.BlobContainer(storage.Blobs.AccountName, DemoCommand.Container));
    }

    public IEnumerable<string> Backup(ChangeState state)
    {
        var backup = (ContainerState)state.Backup!;
        yield return $"{Path.GetFileName(state.BackupLocation)} for {state.Id}";
        yield return $"publicAccess captured: {backup.PublicAccess.ToString().ToLowerInvariant()}";
        yield return $"metadata captured: {string.Join(", ", backup.Metadata.Select(m => $"{m.Key}={m.Value}"))}";
        yield return $"stored access policies captured: {backup.AccessPolicies.Count}";
    }

    public string Verified(FieldCheck check) => $"verify: {check.Reason}";

    public async Task<string> NowAsync(CancellationToken cancellationToken) =>
        $"container now: public access {(await container.GetAccessPolicyAsync(cancellationToken: cancellationToken)).Value.BlobPublicAccess}";
}

/// <summary>
/// The product's own walkthrough: the S3 bucket <c>acme-prod-customer-exports</c> with three grants (the owner
/// FULL_CONTROL, AllUsers READ, log delivery WRITE), versioned, on a real S3 API.
/// </summary>
internal sealed class BucketTarget(AmazonS3Client client) : IWalkthroughTarget
{
    public AssetId Asset { get; } = AssetId.S3Bucket(DemoCommand.Container);

    public string Created => $"created bucket s3://{DemoCommand.Container} (versioned; the account's tags say env=prod, owner=platform-security) with grants: owner FULL_CONTROL, AllUsers READ, LogDelivery WRITE";

    public static async Task<BucketTarget> CreateAsync(S3Endpoint endpoint, CancellationToken cancellationToken)
    {
        var client = endpoint.CreateClient();
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = DemoCommand.Container }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou")
        {
            // an earlier demo on this endpoint made it; the grants below put it back as the walkthrough starts
        }
        await client.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = DemoCommand.Container,
            VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        }, cancellationToken);
        var owner = (await client.GetBucketAclAsync(new GetBucketAclRequest { BucketName = DemoCommand.Container }, cancellationToken)).Owner.Id;
        await client.PutBucketAclAsync(S3Connector.GrantHeaders(DemoCommand.Container, new BucketAcl(new BucketOwner(owner, null),
        [
            new AclGrant(AclGrantee.CanonicalUser(owner), AclPermission.FullControl),
            new AclGrant(AclGrantee.Group(BucketAcl.AllUsers), AclPermission.Read),
            new AclGrant(AclGrantee.Group(BucketAcl.LogDelivery), AclPermission.Write),
        ])), cancellationToken);
        return new BucketTarget(client);
    }

    public IEnumerable<string> Backup(ChangeState state)
    {
        var acl = ((S3BucketState)state.Backup!).Acl!;
        yield return Path.GetFileName(state.BackupLocation)!;
        yield return $"grants captured: {acl.Grants.Count}";
        foreach (var grant in acl.Describe())
        {
            yield return $"  {grant.Replace(", ", ": ", StringComparison.Ordinal)}";
        }
    }

    /// <summary>The walkthrough's words: <c>verify: acl returns 1 grant</c>, the grants on the next line.</summary>
    public string Verified(FieldCheck check)
    {
        if (check is { Field: "acl", Matches: true, Observed: { } observed } && observed.IndexOf(" (", StringComparison.Ordinal) is var split and > 0)
        {
            return $"verify: acl returns {observed[..split]}\n        {observed[(split + 1)..]}";
        }
        return $"verify: {check.Reason}";
    }

    public async Task<string> NowAsync(CancellationToken cancellationToken)
    {
        var acl = await client.GetBucketAclAsync(new GetBucketAclRequest { BucketName = DemoCommand.Container }, cancellationToken);
        return $"bucket now: {acl.Grants?.Count ?? 0} grant(s), read back from the S3 API";
    }
}
