using System.Xml.Linq;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Connectors.S3;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Patterns.S3;

namespace Panaptico.Connectors.Tests.S3;

/// <summary>
/// The public access block and bucket policy patterns round-tripped through the S3 connector on a fake that checks the
/// requests (<see cref="S3BucketFake"/>): Swift refuses both settings, and the fake's bucket carries its own
/// <c>env=prod</c> tag, so production comes from bucket tagging here.
/// </summary>
public sealed class S3FakePatternTests : IDisposable
{
    private const string Bucket = "acme-prod-customer-exports";
    private static readonly string[] BlockElements = ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"];
    private readonly S3BucketFake _fake = new(Bucket, "acme-owner-id");

    public void Dispose() => _fake.Dispose();

    [Fact]
    public async Task On_the_fake_public_access_block_off_is_detected_by_bucket_tag_put_all_on_and_restored_off()
    {
        _fake.Tags["env"] = "prod";
        var connector = Connector();
        var pattern = new PublicAccessBlockOff();

        var finding = Assert.Single(pattern.Detect(await connector.ReadAccountAsync(null, CancellationToken.None)));
        var plan = pattern.PlanFix(finding);
        await connector.ExecuteAsync(plan.Operation, CancellationToken.None);
        var fixedState = await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);
        var put = XElement.Parse(_fake.Writes.Single().Body);
        var inverse = Assert.IsType<InversePlan>(pattern.Inverse(plan, finding.State));
        await connector.ExecuteAsync(inverse.Operation, CancellationToken.None);
        var restored = await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);

        Assert.Equal("publicAccessBlock: BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false (requires all four settings on for a production bucket)",
            Assert.Single(finding.Evidence).ToString());
        Assert.Equal($"aws s3api put-public-access-block \\\n  --bucket {Bucket} \\\n  --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            plan.Command);
        Assert.Equal("PublicAccessBlockConfiguration", put.Name.LocalName);
        Assert.Equal(["true", "true", "true", "true"],
            BlockElements.Select(n => put.Elements().Single(e => e.Name.LocalName == n).Value));
        Assert.True(pattern.Verify(plan.Predicted, fixedState).Matches);
        Assert.True(pattern.Verify(inverse.Predicted, restored).Matches);
        Assert.Equal(S3PublicAccessBlock.AllOff, ((S3BucketState)restored).PublicAccessBlock);
        Assert.Equal([("PUT", "publicAccessBlock"), ("PUT", "publicAccessBlock")], _fake.Writes.Select(w => (w.Method, w.Query)));
    }

    [Fact]
    public async Task On_the_fake_a_policy_allowing_everyone_loses_that_statement_keeps_the_rest_and_is_restored_byte_for_byte()
    {
        const string Original = """{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-prod-customer-exports/*"},{"Sid":"Audit","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-prod-customer-exports/*"}]}""";
        _fake.Policy = Original;
        var connector = Connector();
        var pattern = new PublicBucketPolicy();

        var finding = Assert.Single(pattern.Detect(await connector.ReadAccountAsync(null, CancellationToken.None)));
        var plan = pattern.PlanFix(finding);
        await connector.ExecuteAsync(plan.Operation, CancellationToken.None);
        var sent = _fake.Writes.Single().Body;
        var fixedState = await connector.ReadAssetAsync(plan.Asset, CancellationToken.None);
        var inverse = Assert.IsType<InversePlan>(pattern.Inverse(plan, finding.State));
        await connector.ExecuteAsync(inverse.Operation, CancellationToken.None);

        Assert.Equal("policy: statement PublicRead allows \"s3:GetObject\" to Principal \"*\" (requires no statement allowing everyone)", Assert.Single(finding.Evidence).ToString());
        const string Kept = """{"Version":"2012-10-17","Statement":[{"Sid":"Audit","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-prod-customer-exports/*"}]}""";
        Assert.Equal(Kept, sent);
        Assert.Equal($"aws s3api put-bucket-policy \\\n  --bucket {Bucket} \\\n  --policy '{Kept}'", plan.Command);
        Assert.True(pattern.Verify(plan.Predicted, fixedState).Matches);
        Assert.Equal(Original, _fake.Policy);
        Assert.Equal($"aws s3api put-bucket-policy \\\n  --bucket {Bucket} \\\n  --policy '{Original}'", inverse.Command);
    }

    [Fact]
    public async Task On_the_fake_a_policy_with_only_public_statements_is_deleted_and_a_conditioned_one_is_left_alone()
    {
        _fake.Policy = """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::acme-prod-customer-exports/*"}}""";
        var connector = Connector();
        var pattern = new PublicBucketPolicy();

        var plan = pattern.PlanFix(Assert.Single(pattern.Detect(await connector.ReadAccountAsync(null, CancellationToken.None))));
        await connector.ExecuteAsync(plan.Operation, CancellationToken.None);
        _fake.Policy = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-prod-customer-exports/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}""";
        var conditioned = pattern.Detect(await connector.ReadAccountAsync(null, CancellationToken.None));

        Assert.Equal($"aws s3api delete-bucket-policy \\\n  --bucket {Bucket}", plan.Command);
        Assert.Equal(("DELETE", "policy"), _fake.Writes.Select(w => (w.Method, w.Query)).Single());
        Assert.Empty(conditioned);
    }

    private S3Connector Connector() => new("acme-aws",
        new S3Endpoint(_fake.Url, "AKIDEXAMPLE", "fake-secret").CreateClient(), "acme-prod-", new Dictionary<string, string>(),
        new FakeTimeProvider(new DateTimeOffset(2026, 4, 15, 3, 12, 47, TimeSpan.Zero)));
}
