using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;
using Panaptico.Testing.Kms;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// AWS-KMS-001 through the function app, on the same chain as the Azure and S3 patterns: the scan timer reads the
/// governed KMS account (<c>Remediation:Accounts</c>, <c>Provider</c> = <c>kms</c>) over the KMS fake, the change
/// functions over HTTP, the orchestration on the Durable Task engine, EnableKeyRotation and DisableKeyRotation as the
/// fake received them. TASK-0412's finance keys: 14 CMKs under <c>alias/finance/</c>, 2e19… with rotation off.
/// </summary>
public sealed class KmsRotationChainTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_finance_cmk_with_rotation_disabled_is_detected_ticketed_approved_backed_up_fixed_verified_and_closed_out_in_the_same_shape()
    {
        using var kms = KmsFake.Finance("2e19");
        var key = kms.Key(KmsFake.KeyIdOf("2e19", 4));
        var asset = AssetId.KmsKey(KmsFake.FinanceAccount, KmsFake.DefaultRegion, key.KeyId);
        await using var app = await StartAsync(kms);
        using var reader = app.CreateClient(app.Issuer.Issue("u-ada", "ada", [Role.Auditor]));

        // Detection and ticket: one change, for the one key with rotation off.
        var opened = await ReachedAsync(reader, asset, ChangeStage.Approval);
        var id = opened.Id;
        Assert.Equal("system:violation-scan", opened.RequestedBy);
        Assert.True(opened.Production);
        Assert.Equal(["rotation: disabled (requires automatic rotation enabled on a customer-managed key)"], opened.Finding.Evidence.Select(e => e.ToString()));
        Assert.Equal(string.Join('\n',
            id.ToString(),
            "violation: CIS 3.8 KMS key rotation disabled",
            $"asset: aws-kms://{KmsFake.FinanceAccount}/us-east-1/{key.KeyId}",
            "framework: SOC 2 CC6.1 · ISO 27001 A.10.1.2 · PCI-DSS 3.7.4",
            "severity: medium",
            "owner: finance-platform@acme.com",
            $"detected: {opened.Ticket.Detected.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC"), opened.Ticket.Render());
        Assert.Equal(["AWS-KMS-001"], (await ChangesAsync(reader)).Select(c => c!["pattern"]!.GetValue<string>()).Distinct());

        // Approval: the same request and gate as any production change.
        var request = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None))
            .First(n => n.Kind == "change.approval-requested" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        Assert.Equal(string.Join('\n', id.ToString(), "action: enable automatic key rotation", $"asset: KMS key {key.KeyId} (us-east-1)",
            "scheduled: pending approval", $"expires: {opened.ApprovalExpiresAt!.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC"), request.Summary);
        Assert.Equal(0, kms.CallsOf("EnableKeyRotation"));
        Assert.Equal(HttpStatusCode.Accepted, (await ApproveAsync(app, id.ToString())).StatusCode);

        var closed = await ReachedAsync(reader, asset, ChangeStage.Closed);
        // Backup: the key as read before the fix, rotation off.
        Assert.EndsWith($"/{id}/backup.json", closed.BackupLocation, StringComparison.Ordinal);
        var backup = Assert.IsType<KmsKeyState>(closed.Backup);
        Assert.Equal((false, "CUSTOMER", key.Arn), (backup.RotationEnabled, backup.KeyManager, backup.Arn));
        // Fix: the command as printed, and exactly one EnableKeyRotation naming the key and nothing else.
        Assert.Equal($"aws kms enable-key-rotation \\\n  --key-id {key.KeyId} \\\n  --region us-east-1", closed.Plan.Command);
        var enable = Assert.Single(kms.Calls, c => c.Operation == "EnableKeyRotation");
        Assert.Equal(new JsonObject { ["KeyId"] = key.KeyId }.ToJsonString(), enable.Body.ToJsonString());
        Assert.Empty(kms.Refused);
        Assert.True(key.RotationEnabled);
        // Verify: GetKeyRotationStatus read back true.
        Assert.Equal(["rotation: 'enabled' as predicted"], closed.Verification!.Fields.Select(f => f.Reason));
        // Rollback: the inverse stored with the change for 30 days.
        var inverse = Assert.IsType<InversePlan>(closed.Bundle!.Inverse);
        Assert.Equal($"aws kms disable-key-rotation \\\n  --key-id {key.KeyId} \\\n  --region us-east-1", inverse.Command);
        Assert.Equal(closed.Bundle.CreatedAt + TimeSpan.FromDays(30), closed.Bundle.AvailableUntil);

        // Close-out: the same fields in the same order as every change's, to the audit channel and the ledger.
        var closeOut = (await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None))
            .First(n => n.Kind == "change.closed" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());
        Assert.Equal("#compliance-audit", closeOut.Recipient);
        var lines = closeOut.Summary.Split('\n');
        Assert.Equal([$"{id} closed", "CIS 3.8 remediated on", $"  KMS key {key.KeyId} (us-east-1)", "approver: nina.ramirez"], lines[..4]);
        Assert.Matches(@"^  \(tap, \d\d:\d\d:\d\d UTC\)$", lines[4]);
        Assert.Matches(@"^duration: \d\dm \d\ds \(detect → close\)$", lines[5]);
        Assert.Equal($"rollback: available until {closed.Bundle.AvailableUntil!.Value.UtcDateTime:yyyy-MM-dd}", lines[6]);
        Assert.Equal(7, lines.Length);
        Assert.Equal(
            ["changeId", "pattern", "violation", "asset", "approver", "approverName", "approvalMode", "approvedAt", "detected", "closed", "durationMs", "rollbackAvailableUntil"],
            closeOut.Data!.Select(p => p.Key));
        Assert.Equal(("AWS-KMS-001", asset.ToString()), (closeOut.Data!["pattern"]!.GetValue<string>(), closeOut.Data!["asset"]!.GetValue<string>()));

        var ledger = await LedgerOfAsync(app, id.ToString());
        // The ledger's change.closed carries the close-out's fields (beside the stage it moved from and to).
        var recorded = Assert.Single(ledger, r => r.Kind == "change.closed").Data!;
        Assert.All(closeOut.Data, p => Assert.True(JsonNode.DeepEquals(p.Value, recorded[p.Key]), $"ledger {p.Key}: {recorded[p.Key]?.ToJsonString()}, posted {p.Value?.ToJsonString()}"));
        foreach (var kind in new[] { "change.opened", "change.approval-requested", "change.approved", "change.backed-up", "change.fixed", "change.verified", "change.closed" })
        {
            Assert.Contains(ledger, r => r.Kind == kind);
        }
    }

    [Fact]
    public async Task An_aws_managed_key_in_scope_is_not_a_violation_even_with_its_rotation_read_as_off()
    {
        using var kms = KmsFake.Finance("2e19");
        // KMS reports AWS-managed keys as rotating; read as off, it shows the scan and the pattern leave them alone anyway.
        var managed = kms.Key(KmsFake.KeyIdOf("aws0", 20));
        managed.RotationEnabled = false;
        var cmk = AssetId.KmsKey(KmsFake.FinanceAccount, KmsFake.DefaultRegion, KmsFake.KeyIdOf("2e19", 4));
        await using var app = await StartAsync(kms, extraKeyId: managed.KeyId);
        using var reader = app.CreateClient(app.Issuer.Issue("u-ada", "ada", [Role.Auditor]));

        // A scan has run over the whole scope (the CMK's change is open), the AWS-managed key described in it.
        await ReachedAsync(reader, cmk, ChangeStage.Approval);
        Assert.Contains(kms.Calls, c => c.Operation == "DescribeKey" && (string?)c.Body["KeyId"] == managed.KeyId);

        var changes = await ChangesAsync(reader);
        Assert.Equal([cmk.ToString()], changes.Select(c => c!["asset"]!.GetValue<string>()));
        Assert.DoesNotContain(kms.Calls, c => c.Operation is "EnableKeyRotation" or "DisableKeyRotation");
        Assert.False(managed.RotationEnabled);
        Assert.Empty(kms.Refused);
    }

    [Fact]
    public async Task A_revert_inside_the_rollback_window_disables_rotation_again()
    {
        using var kms = KmsFake.Finance("2e19");
        var key = kms.Key(KmsFake.KeyIdOf("2e19", 4));
        var asset = AssetId.KmsKey(KmsFake.FinanceAccount, KmsFake.DefaultRegion, key.KeyId);
        await using var app = await StartAsync(kms);
        using var reader = app.CreateClient(app.Issuer.Issue("u-ada", "ada", [Role.Auditor]));
        var id = (await ReachedAsync(reader, asset, ChangeStage.Approval)).Id;
        await ApproveAsync(app, id.ToString());
        var closed = await ReachedAsync(reader, asset, ChangeStage.Closed);
        Assert.True(key.RotationEnabled);

        using var operatorClient = app.CreateClient(app.Issuer.Issue("u-omar", "omar", [Role.Operator]));
        Assert.Equal(HttpStatusCode.Accepted, (await operatorClient.PostAsync(new Uri($"/api/changes/{id}/revert", UriKind.Relative), null)).StatusCode);
        var reverted = await ReachedAsync(reader, asset, ChangeStage.Reverted);

        Assert.Null(reverted.SettledAt);
        Assert.True(DateTimeOffset.UtcNow < closed.Bundle!.AvailableUntil);
        Assert.Equal(["rotation: 'disabled' as predicted"], reverted.RevertVerification!.Fields.Select(f => f.Reason));
        var disable = Assert.Single(kms.Calls, c => c.Operation == "DisableKeyRotation");
        Assert.Equal(new JsonObject { ["KeyId"] = key.KeyId }.ToJsonString(), disable.Body.ToJsonString());
        Assert.False(key.RotationEnabled);
        Assert.Empty(kms.Refused);
        Assert.Contains(await LedgerOfAsync(app, id.ToString()), r => r.Kind == "change.reverted");
    }

    /// <summary>
    /// The app governing the fake's finance keys (alias prefix <c>alias/finance/</c>, plus <paramref name="extraKeyId"/>
    /// when given) as production keys owned by finance-platform, scanned every second.
    /// </summary>
    private static Task<TestFunctionApp> StartAsync(KmsFake kms, string? extraKeyId = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ViolationScanSchedule"] = "* * * * * *",
            ["Remediation:StepRetryInterval"] = "00:00:01",
            ["Remediation:Accounts:0:Provider"] = "kms",
            ["Remediation:Accounts:0:Name"] = "acme-finance-kms",
            ["Remediation:Accounts:0:AccountId"] = KmsFake.FinanceAccount,
            ["Remediation:Accounts:0:Region"] = kms.Region,
            ["Remediation:Accounts:0:ServiceUrl"] = kms.Url,
            ["Remediation:Accounts:0:AccessKeyId"] = "AKIAFAKEFAKEFAKE0001",
            ["Remediation:Accounts:0:SecretAccessKey"] = "fake-secret-for-the-kms-fake",
            ["Remediation:Accounts:0:AliasPrefix"] = "alias/finance/",
            ["Remediation:Accounts:0:Tags:env"] = "prod",
            ["Remediation:Accounts:0:Tags:owner"] = "finance-platform",
            ["Remediation:Owners:Addresses:finance-platform"] = "finance-platform@acme.com",
        };
        if (extraKeyId is not null)
        {
            settings["Remediation:Accounts:0:KeyIds:0"] = extraKeyId;
        }
        return TestFunctionApp.StartAsync(settings);
    }

    private static Task<HttpResponseMessage> ApproveAsync(TestFunctionApp app, string id) =>
        ChangeApi.ApproveAsNinaAsync(app, id, "finance keys must rotate yearly; disabling it again is one command for 30 days");

    private static async Task<JsonArray> ChangesAsync(HttpClient reader) =>
        (await reader.GetFromJsonAsync<JsonArray>(new Uri("/api/changes", UriKind.Relative)))!;

    private static Task<ChangeState> ChangeAsync(HttpClient reader, string id) => ChangeApi.ChangeAsync(reader, id);

    /// <summary>Every ledger record about the change, in ledger order.</summary>
    private static async Task<IReadOnlyList<LedgerRecord>> LedgerOfAsync(TestFunctionApp app, string id)
    {
        var ledger = app.Services.GetRequiredService<TableLedger>();
        var (first, last) = (await ledger.FindSeqRangeAsync(null, null, CancellationToken.None))!.Value;
        var records = new List<LedgerRecord>();
        await foreach (var record in ledger.ReadRangeAsync(first, last, CancellationToken.None))
        {
            if (record.Subject == id)
            {
                records.Add(record);
            }
        }
        return records;
    }

    private static Task<ChangeState> ReachedAsync(HttpClient reader, AssetId asset, ChangeStage stage) =>
        ChangeApi.ReachedAsync(reader, asset, "AWS-KMS-001", stage);
}
