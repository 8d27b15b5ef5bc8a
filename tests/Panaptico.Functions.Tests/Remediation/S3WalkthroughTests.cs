using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Connectors.S3;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Notifications;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// The product's walkthrough on a real S3 API (Swift's s3api, started by the test command), end to end through the
/// function app: the scan timer, the change functions over HTTP, the orchestration on the Durable Task engine, the S3
/// connector. Swift fakes bucket tagging, so the governed S3 account's configured tags make its buckets production.
/// </summary>
public sealed class S3WalkthroughTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The walkthrough's three grants: the owner FULL_CONTROL, AllUsers READ, log delivery WRITE.</summary>
    private static readonly BucketAcl ThreeGrants = new(new BucketOwner(TestS3.OwnerId, null),
    [
        new AclGrant(AclGrantee.CanonicalUser(TestS3.OwnerId), AclPermission.FullControl),
        new AclGrant(AclGrantee.Group(BucketAcl.AllUsers), AclPermission.Read),
        new AclGrant(AclGrantee.Group(BucketAcl.LogDelivery), AclPermission.Write),
    ]);

    [Fact]
    public async Task On_swift_a_public_read_bucket_is_detected_ticketed_approved_backed_up_fixed_to_one_grant_closed_and_reverted_to_its_three_grants()
    {
        var (bucket, asset) = await SeedAsync("acme-prod-customer-exports");
        await using var app = await StartAsync(bucket, rollbackWindow: null);
        using var reader = app.CreateClient(app.Issuer.Issue("u-ada", "ada", [Role.Auditor]));

        // 00 · Detection and 01 · Ticket
        var opened = await ReachedAsync(reader, asset, ChangeStage.Approval);
        var id = opened.Id;
        Assert.Equal("system:violation-scan", opened.RequestedBy);
        Assert.Equal(["acl: AllUsers: READ (requires no public grant on a production bucket)"], opened.Finding.Evidence.Select(e => e.ToString()));
        Assert.Equal(string.Join('\n',
            id.ToString(),
            "violation: CIS 1.20 public-read bucket",
            $"asset: s3://{bucket}",
            "framework: SOC 2 CC6.6 · ISO 27001 A.9.4.1",
            "severity: high",
            "owner: platform-security@acme.com",
            $"detected: {opened.Ticket.Detected.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"), opened.Ticket.Render());

        // 02 · Approval
        var request = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None))
            .First(n => n.Kind == "change.approval-requested" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        Assert.Equal(string.Join('\n', id.ToString(), "action: remove public-read grant", $"asset: {bucket}", "scheduled: pending approval",
            $"expires: {opened.ApprovalExpiresAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC"), request.Summary);
        Assert.Equal(HttpStatusCode.Accepted, (await ApproveAsync(app, id.ToString())).StatusCode);

        var closed = await ReachedAsync(reader, asset, ChangeStage.Closed);
        // 03 · Backup: the three grants captured, in the file the inverse names.
        Assert.EndsWith($"/{id}/acl-snapshot-{id}.json", closed.BackupLocation, StringComparison.Ordinal);
        var (_, content) = await app.Services.GetRequiredService<RollbackVault>().OpenAsync(id.ToString(), $"acl-snapshot-{id}.json", CancellationToken.None);
        using var snapshot = new MemoryStream();
        await using (content)
        {
            await content.CopyToAsync(snapshot);
        }
        Assert.Equal(["bucket-owner, FULL_CONTROL", "AllUsers, READ", "log-delivery, WRITE"], BucketAcl.FromAccessControlPolicyJson(snapshot.ToArray()).Describe());
        Assert.Equal(3, ((S3BucketState)closed.Backup!).Acl!.Grants.Count);
        // 04 · Fix: the walkthrough's command, and one grant read back.
        Assert.Equal($"aws s3api put-bucket-acl \\\n  --bucket {bucket} \\\n  --acl private", closed.Plan.Command);
        Assert.Equal(["acl: '1 grant (bucket-owner, FULL_CONTROL)' as predicted"], closed.Verification!.Fields.Select(f => f.Reason));
        Assert.Equal(["bucket-owner, FULL_CONTROL"], await GrantsAsync(bucket));
        // 05 · Rollback: the inverse, stored, bound to the change for 30 days.
        var inverse = Assert.IsType<InversePlan>(closed.Bundle!.Inverse);
        Assert.Equal($"aws s3api put-bucket-acl \\\n  --bucket {bucket} \\\n  --access-control-policy \\\n  file://acl-snapshot-{id}.json", inverse.Command);
        Assert.Equal(closed.Bundle.CreatedAt + TimeSpan.FromDays(30), closed.Bundle.AvailableUntil);
        // 06 · Alert
        var closeOut = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None))
            .First(n => n.Kind == "change.closed" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        Assert.Equal("#compliance-audit", closeOut.Recipient);
        Assert.StartsWith(string.Join('\n', $"{id} closed", "CIS 1.20 remediated on", $"  {bucket}", "approver: nina.ramirez"), closeOut.Summary, StringComparison.Ordinal);
        Assert.EndsWith($"rollback: available until {closed.Bundle.AvailableUntil!.Value.UtcDateTime:yyyy-MM-dd}", closeOut.Summary, StringComparison.Ordinal);

        // Revert inside the window: all three grants back, exactly.
        using var operatorClient = app.CreateClient(app.Issuer.Issue("u-omar", "omar", [Role.Operator]));
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync(new Uri($"/api/changes/{id}/revert", UriKind.Relative), null)).StatusCode);
        var reverted = await ReachedAsync(reader, asset, ChangeStage.Reverted);
        Assert.True(reverted.RevertVerification!.Matches);
        Assert.Equal(ThreeGrants.Describe(), await GrantsAsync(bucket));
    }

    [Fact]
    public async Task On_swift_a_revert_after_the_rollback_window_is_refused_as_expired_and_the_bucket_stays_private()
    {
        var (bucket, asset) = await SeedAsync("acme-prod-settled");
        await using var app = await StartAsync(bucket, rollbackWindow: TimeSpan.FromSeconds(3));
        using var reader = app.CreateClient(app.Issuer.Issue("u-ada", "ada", [Role.Auditor]));
        var id = (await ReachedAsync(reader, asset, ChangeStage.Approval)).Id;
        await ApproveAsync(app, id.ToString());
        await ReachedAsync(reader, asset, ChangeStage.Closed);

        using var patience = new CancellationTokenSource(Patience);
        while ((await ChangeAsync(reader, id.ToString())).SettledAt is null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), patience.Token);
        }
        using var operatorClient = app.CreateClient(app.Issuer.Issue("u-omar", "omar", [Role.Operator]));
        var late = await operatorClient.PostAsync(new Uri($"/api/changes/{id}/revert", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        Assert.Equal("expired", (await late.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>());
        Assert.Equal(["bucket-owner, FULL_CONTROL"], await GrantsAsync(bucket));
    }

    /// <summary>
    /// A bucket of this test's own (its name is the account's bucket prefix), versioned as a production bucket should be,
    /// with the walkthrough's three grants: the ACL is its one violation.
    /// </summary>
    private static async Task<(string Bucket, AssetId Asset)> SeedAsync(string name)
    {
        var bucket = TestS3.UniqueBucket(name);
        using var client = TestS3.Client();
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        await client.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket,
            VersioningConfig = new S3BucketVersioningConfig { Status = Amazon.S3.VersionStatus.Enabled },
        });
        await client.PutBucketAclAsync(S3Connector.GrantHeaders(bucket, ThreeGrants));
        return (bucket, AssetId.S3Bucket(bucket));
    }

    private static Task<TestFunctionApp> StartAsync(string bucket, TimeSpan? rollbackWindow)
    {
        var endpoint = TestS3.Endpoint();
        var settings = new Dictionary<string, string?>
        {
            ["ViolationScanSchedule"] = "* * * * * *",
            ["Remediation:StepRetryInterval"] = "00:00:01",
            ["Remediation:Accounts:0:Provider"] = "s3",
            ["Remediation:Accounts:0:Name"] = "acme-aws",
            ["Remediation:Accounts:0:ServiceUrl"] = endpoint.ServiceUrl.ToString(),
            ["Remediation:Accounts:0:AccessKeyId"] = endpoint.AccessKeyId,
            ["Remediation:Accounts:0:SecretAccessKey"] = endpoint.SecretAccessKey,
            ["Remediation:Accounts:0:BucketPrefix"] = bucket,
            ["Remediation:Accounts:0:Tags:env"] = "prod",
            ["Remediation:Accounts:0:Tags:owner"] = "platform-security",
            ["Remediation:Owners:Addresses:platform-security"] = "platform-security@acme.com",
        };
        if (rollbackWindow is { } window)
        {
            settings["Remediation:RollbackWindow"] = window.ToString("c");
        }
        return TestFunctionApp.StartAsync(settings);
    }

    private static Task<HttpResponseMessage> ApproveAsync(TestFunctionApp app, string id) =>
        ChangeApi.ApproveAsNinaAsync(app, id, "customer exports must not be public; the fix is reversible for 30 days");

    private static async Task<IReadOnlyList<string>> GrantsAsync(string bucket)
    {
        using var client = TestS3.Client();
        var acl = await client.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        return new BucketAcl(new BucketOwner(acl.Owner.Id, null), [.. acl.Grants.Select(g => new AclGrant(
            new AclGrantee(g.Grantee.Type.Value, NullIfEmpty(g.Grantee.CanonicalUser), NullIfEmpty(g.Grantee.URI), null, null), g.Permission.Value))]).Describe();
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    private static Task<ChangeState> ChangeAsync(HttpClient reader, string id) => ChangeApi.ChangeAsync(reader, id);

    private static Task<ChangeState> ReachedAsync(HttpClient reader, AssetId asset, ChangeStage stage) =>
        ChangeApi.ReachedAsync(reader, asset, "AWS-S3-001", stage);
}
