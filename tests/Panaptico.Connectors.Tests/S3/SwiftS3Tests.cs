using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.S3;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.S3;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Testing;

namespace Panaptico.Connectors.Tests.S3;

/// <summary>
/// The S3 connector and the S3 patterns on a real S3 API: OpenStack Swift with s3api (started by the test command).
/// Swift fakes bucket tagging, so production comes from the account's configured tags, as it would for an endpoint
/// without tagging.
/// </summary>
public sealed class SwiftS3Tests
{
    private static readonly DateTimeOffset Now = new(2026, 4, 15, 3, 12, 47, TimeSpan.Zero);
    private static readonly Dictionary<string, string> Production = new() { ["env"] = "prod", ["owner"] = "platform-security" };

    /// <summary>The walkthrough's three grants: the owner FULL_CONTROL, AllUsers READ, log delivery WRITE.</summary>
    public static readonly BucketAcl WalkthroughAcl = new(new BucketOwner(TestS3.OwnerId, null),
    [
        new AclGrant(AclGrantee.CanonicalUser(TestS3.OwnerId), AclPermission.FullControl),
        new AclGrant(AclGrantee.Group(BucketAcl.AllUsers), AclPermission.Read),
        new AclGrant(AclGrantee.Group(BucketAcl.LogDelivery), AclPermission.Write),
    ]);

    [Fact]
    public async Task The_walkthrough_on_swift_three_grants_detected_fixed_to_one_grant_and_restored_exactly_from_the_acl_snapshot()
    {
        using var client = TestS3.Client();
        var bucket = TestS3.UniqueBucket("acme-prod-exports");
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await client.PutBucketAclAsync(S3Connector.GrantHeaders(bucket, WalkthroughAcl));
        var connector = Connector(client, "acme-prod-");
        var pattern = new PublicAclGrant();

        var scan = await connector.ReadAccountAsync(bucket, CancellationToken.None);
        var finding = Assert.Single(pattern.Detect(scan));
        Assert.Equal("acl: AllUsers: READ (requires no public grant on a production bucket)", Assert.Single(finding.Evidence).ToString());
        var plan = pattern.PlanFix(finding);
        Assert.Equal($"aws s3api put-bucket-acl \\\n  --bucket {bucket} \\\n  --acl private", plan.Command);

        var backup = pattern.ReadBackup(plan.Asset, pattern.WriteBackup(await connector.ReadAssetAsync(plan.Asset, CancellationToken.None)));
        Assert.Equal(["bucket-owner, FULL_CONTROL", "AllUsers, READ", "log-delivery, WRITE"], ((S3BucketState)backup).Acl!.Describe());

        await connector.ExecuteAsync(plan.Operation, CancellationToken.None);
        var fixedState = await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);
        Assert.True(pattern.Verify(plan.Predicted, fixedState).Matches, string.Join("; ", pattern.Verify(plan.Predicted, fixedState).Mismatches));
        Assert.Equal("1 grant (bucket-owner, FULL_CONTROL)", pattern.Project(fixedState)[0].Value);

        var change = new ChangeId(new DateOnly(2026, 4, 18), 114);
        var inverse = Assert.IsType<InversePlan>(pattern.Inverse(plan, backup, pattern.BackupFile(change)));
        Assert.Equal($"aws s3api put-bucket-acl \\\n  --bucket {bucket} \\\n  --access-control-policy \\\n  file://acl-snapshot-CHG-2026-0418-114.json", inverse.Command);
        await connector.ExecuteAsync(inverse.Operation, CancellationToken.None);
        var restored = (S3BucketState)await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);
        Assert.True(pattern.Verify(inverse.Predicted, restored).Matches);
        Assert.Equal(WalkthroughAcl.Describe(), restored.Acl!.Describe());
    }

    [Fact]
    public async Task Versioning_off_on_a_production_bucket_on_swift_is_enabled_and_its_inverse_suspends_it()
    {
        using var client = TestS3.Client();
        var bucket = TestS3.UniqueBucket("acme-prod-ledgers");
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        var connector = Connector(client, "acme-prod-");
        var pattern = new BucketVersioningOff();

        var finding = Assert.Single(pattern.Detect(await connector.ReadAccountAsync(bucket, CancellationToken.None)));
        var plan = pattern.PlanFix(finding);
        await connector.ExecuteAsync(plan.Operation, CancellationToken.None);
        var enabled = await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);
        var inverse = Assert.IsType<InversePlan>(pattern.Inverse(plan, finding.State));
        await connector.ExecuteAsync(inverse.Operation, CancellationToken.None);
        var suspended = (S3BucketState)await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);

        Assert.Equal("versioning: off (requires enabled on a production bucket)", Assert.Single(finding.Evidence).ToString());
        Assert.Equal($"aws s3api put-bucket-versioning \\\n  --bucket {bucket} \\\n  --versioning-configuration Status=Enabled", plan.Command);
        Assert.Equal(S3Versioning.Enabled, ((S3BucketState)enabled).Versioning);
        Assert.True(pattern.Verify(plan.Predicted, enabled).Matches);
        Assert.Equal(S3Versioning.Suspended, suspended.Versioning);
        Assert.True(pattern.Verify(inverse.Predicted, suspended).Matches);
    }

    [Fact]
    public async Task What_swift_does_not_implement_reads_as_not_read_and_no_pattern_judges_it()
    {
        using var client = TestS3.Client();
        var bucket = TestS3.UniqueBucket("acme-prod-plain");
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });

        var state = (S3BucketState)await Connector(client, "acme-prod-").ReadAssetAsync(AssetId.S3Bucket(bucket), CancellationToken.None);

        Assert.Null(state.PublicAccessBlock);
        Assert.Null(state.Policy);
        Assert.Empty(new PublicAccessBlockOff().Detect(new S3AccountState("acme-aws", Production, [state], Now)));
        Assert.Empty(new PublicBucketPolicy().Detect(new S3AccountState("acme-aws", Production, [state], Now)));
        Assert.Equal(["bucket-owner, FULL_CONTROL"], state.Acl!.Describe());
    }

    [Fact]
    public async Task A_bucket_outside_the_accounts_prefix_or_an_azure_asset_is_refused_before_any_request()
    {
        var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("k", "s"),
            new AmazonS3Config { ServiceURL = "http://127.0.0.1:1", ForcePathStyle = true, MaxErrorRetry = 0 });
        var connector = Connector(client, "acme-prod-");

        await Assert.ThrowsAsync<ArgumentException>(() => connector.ReadAssetAsync(AssetId.S3Bucket("acme-dev-exports"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => connector.ExecuteAsync(
            new SetBucketCannedAcl(AssetId.S3Bucket("other-exports"), S3CannedAcl.Private), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => connector.ReadAssetAsync(AssetId.BlobContainer("devstoreaccount1", "acme-prod-x"), CancellationToken.None));
    }

    private static S3Connector Connector(IAmazonS3 client, string prefix) =>
        new("acme-aws", client, prefix, Production, new FakeTimeProvider(Now));
}
