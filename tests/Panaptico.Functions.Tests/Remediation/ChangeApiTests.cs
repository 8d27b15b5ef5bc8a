using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Notifications;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// The change API and the durable chain behind it, with the app behind a stand-in Functions host: the test posts the
/// remediation queue's messages to <c>/RemediationStep</c> itself, on a fake clock.
/// </summary>
public sealed class ChangeApiTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow;

    [Fact]
    public async Task A_public_production_container_is_ticketed_approved_backed_up_fixed_verified_and_closed_out()
    {
        var (world, time, app) = await StartAsync();
        await using var _ = app;
        var container = await world.CreateContainerAsync("customer-exports", production: true, PublicAccessType.Blob);

        await RemediationWorld.ScanAsync(app);
        var opened = world.Recorder.ChangeOn(world.Asset(container))!;
        Assert.Equal(ChangeStage.Approval, opened.Stage);
        Assert.Equal("platform-security@acme.example", opened.Ticket.Owner);
        Assert.Matches(@"^CHG-\d{4}-\d{4}-\d{3}$", opened.Id.ToString());

        time.Advance(TimeSpan.FromSeconds(75));
        var approved = await People.ApproveAsync(app.CreateClient(People.Approver(app)), opened.Id);
        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(opened.Id) == ChangeStage.Closed);

        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Equal(1, world.Connector.WritesTo(world.Asset(container)));
        var change = await GetAsync(app, opened.Id);
        Assert.Equal("closed", change["stage"]!.GetValue<string>());
        Assert.Contains("approver: nina.ramirez", change["closeOutText"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("duration: 01m 15s (detect → close)", change["closeOutText"]!.GetValue<string>(), StringComparison.Ordinal);
        string[] path = ["change.opened", "change.approval-requested", "change.approved", "change.backed-up", "change.fixed",
            "change.verified", "change.rollback-bundle-stored", "change.closed"];
        Assert.Equal(path, change["history"]!.AsArray().Select(h => h!["event"]!.GetValue<string>()));
        // The ledger also holds the approval gate's own records, in the same stream.
        string[] ledger = ["change.opened", "approval.routed", "change.approval-requested", "approval.signed", "approval.cleared", .. path[2..]];
        Assert.Equal(ledger, (await RemediationWorld.LedgerOfAsync(app, opened.Id)).Select(r => r.Kind));
        var signed = Assert.Single(await RemediationWorld.LedgerOfAsync(app, opened.Id), r => r.Kind == "approval.signed");
        Assert.Equal(("nina.ramirez", "Owns cost envelope & perf SLO for platform"), (signed.Actor, signed.Data!["routedBecause"]!.GetValue<string>()));

        // The backup in the rollback vault is the exact state before the fix, and the state names its hash.
        var state = change["state"].Deserialize<ChangeState>(RemediationJson.Options)!;
        var (_, backup) = await app.Services.GetRequiredService<RollbackVault>().OpenAsync(opened.Id.ToString(), "backup.json", CancellationToken.None);
        using var bytes = new MemoryStream();
        await backup.CopyToAsync(bytes);
        Assert.Equal(state.BackupSha256, Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())));
        Assert.Equal(PublicAccessLevel.Blob, ((ContainerState)state.Backup!).PublicAccess);
        Assert.Equal(time.GetUtcNow().AddDays(30).Date, state.Bundle!.AvailableUntil!.Value.Date);

        var notices = await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None);
        Assert.Contains(notices, n => n.Kind == "change.approval-requested" && n.Recipient == "platform-security@acme.example");
        Assert.Single(notices, n => n.Kind == "change.closed" && n.Data?["changeId"]?.GetValue<string>() == opened.Id.ToString());
    }

    [Fact]
    public async Task A_denial_closes_the_change_as_wont_fix_with_its_reason_and_changes_nothing()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("public-site", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        var approver = app.CreateClient(People.Approver(app));

        var reasonless = await People.DenyAsync(approver, id, "  ");
        var denied = await People.DenyAsync(approver, id, "static website, public by design");
        await RemediationWorld.PumpAsync(app);

        await AssertProblemAsync(reasonless, HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, denied.StatusCode);
        var change = await GetAsync(app, id);
        Assert.Equal("wont-fix", change["stage"]!.GetValue<string>());
        Assert.Equal("denied: static website, public by design", change["outcome"]!.GetValue<string>());
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Empty(world.Connector.Writes);
        var denial = Assert.Single(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.denied");
        Assert.Equal("static website, public by design", denial.Data!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_requester_of_a_change_cannot_approve_it()
    {
        var (world, _, app) = await StartAsync(new() { ["Remediation:DetectorId"] = "u-nina" });
        await using var __ = app;
        var container = await world.CreateContainerAsync("reports", production: true, PublicAccessType.BlobContainer);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;

        var response = await People.ApproveAsync(app.CreateClient(People.Approver(app, id: "u-nina")), id);

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("Separation of duties", problem["title"]!.GetValue<string>());
        Assert.Equal("approval", (await GetAsync(app, id))["stage"]!.GetValue<string>());
        Assert.DoesNotContain(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.approved");
    }

    [Fact]
    public async Task A_change_shows_its_routed_seat_and_the_gate_refuses_reasonless_stale_or_unrouted_signatures()
    {
        var (world, time, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("payroll", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        var gate = (await GetAsync(app, id))["approvalGate"]!;
        var hash = gate["contextPackSha256"]!.GetValue<string>();
        var approver = app.CreateClient(People.Approver(app));

        var seat = Assert.Single(gate["seats"]!.AsArray())!;
        Assert.Equal(("domain-cost-owner", "Nina Ramirez", "Owns cost envelope & perf SLO for platform", "open"),
            (seat["seatId"]!.GetValue<string>(), seat["approver"]!.GetValue<string>(), seat["routedBecause"]!.GetValue<string>(), seat["state"]!.GetValue<string>()));
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Contains("az storage container set-permission", gate["contextPack"]!["workloadDiff"]!.GetValue<string>(), StringComparison.Ordinal);

        var reasonless = await approver.PostAsync($"/api/changes/{id}/approve", People.Json($$"""{"rationale":" ","contextPackSha256":"{{hash}}"}"""));
        var stale = await approver.PostAsync($"/api/changes/{id}/approve", People.Json($$"""{"rationale":"ok","contextPackSha256":"{{new string('0', 64)}}"}"""));
        var unrouted = await People.ApproveAsync(app.CreateClient(People.Approver(app, id: "u-ravi", name: "ravi")), id);
        var noSuchSeat = await approver.PostAsync($"/api/changes/{id}/approve", People.Json($$"""{"seatId":"nope","rationale":"ok","contextPackSha256":"{{hash}}"}"""));

        Assert.Contains("rationale", (await AssertProblemAsync(reasonless, HttpStatusCode.BadRequest))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(hash, (await AssertProblemAsync(stale, HttpStatusCode.Conflict))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertProblemAsync(unrouted, HttpStatusCode.Forbidden);
        await AssertProblemAsync(noSuchSeat, HttpStatusCode.NotFound);
        var unchanged = await GetAsync(app, id);
        Assert.Equal(("approval", 2), (unchanged["stage"]!.GetValue<string>(), unchanged["version"]!.GetValue<int>()));
        Assert.DoesNotContain(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "approval.signed");

        time.Advance(TimeSpan.FromSeconds(30));
        var approved = await approver.PostAsync($"/api/changes/{id}/approve", People.Json($$"""{"rationale":"payroll must not be public","contextPackSha256":"{{hash}}"}"""));

        Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        var signedSeat = (await approved.Content.ReadFromJsonAsync<JsonObject>())!["approvalGate"]!["seats"]![0]!;
        Assert.Equal(("signed", "nina.ramirez", "payroll must not be public", hash),
            (signedSeat["state"]!.GetValue<string>(), signedSeat["signedBy"]!.GetValue<string>(), signedSeat["rationale"]!.GetValue<string>(),
             signedSeat["contextPackSha256"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_caller_without_the_approver_role_cannot_approve_and_a_reader_needs_a_role()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("ledgers", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;

        var byOperator = await app.CreateClient(People.Operator(app)).PostAsync($"/api/changes/{id}/approve", null);
        var anonymous = await app.CreateClient().GetAsync($"/api/changes/{id}");
        var listed = await app.CreateClient(People.Auditor(app)).GetFromJsonAsync<JsonArray>("/api/changes");

        await AssertProblemAsync(byOperator, HttpStatusCode.Forbidden);
        await AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized);
        Assert.Equal(id.ToString(), Assert.Single(listed!)!["id"]!.GetValue<string>());
        Assert.Equal("approval", (await GetAsync(app, id))["stage"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_undecided_approval_expires_with_nothing_changed_and_later_decisions_are_gone()
    {
        var (world, time, app) = await StartAsync(new() { ["Remediation:ApprovalExpiry"] = "00:00:01" });
        await using var __ = app;
        var container = await world.CreateContainerAsync("archive", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        var approver = app.CreateClient(People.Approver(app));

        time.Advance(TimeSpan.FromSeconds(2));
        var lateApproval = await People.ApproveAsync(approver, id);
        // The expiry timer is the delayed queue message; it becomes visible a second after the change opened.
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.Expired);
        var lateDenial = await People.DenyAsync(approver, id, "too late");

        await AssertProblemAsync(lateApproval, HttpStatusCode.Gone);
        await AssertProblemAsync(lateDenial, HttpStatusCode.Gone);
        var change = await GetAsync(app, id);
        Assert.Equal("expired", change["stage"]!.GetValue<string>());
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Empty(world.Connector.Writes);
        Assert.Single(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.expired");
    }

    [Fact]
    public async Task A_verification_mismatch_restores_the_backup_automatically_and_records_why()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("drifting", production: true, PublicAccessType.BlobContainer);
        // Something re-opens access right under the fix: the read-back will not match the prediction.
        world.Connector.AfterWrite = async (operation, inner) =>
        {
            if (operation is SetContainerPublicAccess { Level: PublicAccessLevel.None } fix)
            {
                await inner.ExecuteAsync(fix with { Level = PublicAccessLevel.Blob }, CancellationToken.None);
            }
        };
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;

        await People.ApproveAsync(app.CreateClient(People.Approver(app)), id);
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.RolledBack);

        Assert.Equal(PublicAccessType.BlobContainer, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        var change = await GetAsync(app, id);
        Assert.Equal("rolled-back", change["stage"]!.GetValue<string>());
        Assert.Contains("publicAccess: expected 'none', observed 'blob'", change["outcome"]!.GetValue<string>(), StringComparison.Ordinal);
        var ledger = await RemediationWorld.LedgerOfAsync(app, id);
        Assert.Contains(ledger, r => r.Kind == "change.verify-mismatch");
        var rolledBack = Assert.Single(ledger, r => r.Kind == "change.rolled-back");
        Assert.Contains("publicAccess: expected 'none', observed 'blob'", rolledBack.Data!["why"]!.AsArray().Select(w => w!.GetValue<string>()));
    }

    [Fact]
    public async Task An_operator_reverts_within_30_days_to_the_exact_prior_state()
    {
        var (world, time, app) = await StartAsync();
        await using var __ = app;
        var (container, id) = await ClosedChangeAsync(world, app);

        time.Advance(TimeSpan.FromDays(29));
        var reverted = await app.CreateClient(People.Operator(app)).PostAsync($"/api/changes/{id}/revert", null);
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.Reverted);

        Assert.Equal(HttpStatusCode.Accepted, reverted.StatusCode);
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        var revert = Assert.Single(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.revert-requested");
        Assert.Equal("u-omar", revert.Actor);
        Assert.Contains(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.reverted");
    }

    [Fact]
    public async Task A_revert_after_30_days_is_gone_and_an_approver_may_not_revert()
    {
        var (world, time, app) = await StartAsync();
        await using var __ = app;
        var (container, id) = await ClosedChangeAsync(world, app);

        var byApprover = await app.CreateClient(People.Approver(app)).PostAsync($"/api/changes/{id}/revert", null);
        time.Advance(TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));
        var late = await app.CreateClient(People.Operator(app)).PostAsync($"/api/changes/{id}/revert", null);
        await RemediationWorld.PumpAsync(app);

        await AssertProblemAsync(byApprover, HttpStatusCode.Forbidden);
        await AssertProblemAsync(late, HttpStatusCode.Gone);
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Equal("closed", (await GetAsync(app, id))["stage"]!.GetValue<string>());
        Assert.DoesNotContain(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind.StartsWith("change.revert", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Re_detecting_an_open_violation_by_scan_or_event_opens_no_second_ticket()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("twice", production: true, PublicAccessType.Blob);

        await RemediationWorld.ScanAsync(app);
        await RemediationWorld.ScanAsync(app);
        var resourceWrite = await app.CreateClient().PostAsJsonAsync("/ResourceEvents", new JsonObject
        {
            ["Data"] = new JsonObject { ["eventGridEvent"] = ResourceWrite(world.Blobs.AccountName, container.Name) },
        });

        Assert.Equal(HttpStatusCode.OK, resourceWrite.StatusCode);
        var listed = await app.CreateClient(People.Auditor(app)).GetFromJsonAsync<JsonArray>("/api/changes");
        Assert.Single(listed!);
        Assert.Single(world.Recorder.Commits, s => s.Stage == ChangeStage.Approval && s.Version == 2);
    }

    [Fact]
    public async Task A_resource_write_event_rechecks_its_asset_and_opens_a_change()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("evented", production: true, PublicAccessType.BlobContainer);

        var response = await app.CreateClient().PostAsJsonAsync("/ResourceEvents", new JsonObject
        {
            ["Data"] = new JsonObject { ["eventGridEvent"] = ResourceWrite(world.Blobs.AccountName, container.Name) },
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var change = world.Recorder.ChangeOn(world.Asset(container));
        Assert.NotNull(change);
        Assert.Equal("AZ-STG-001", change.Plan.PatternId);
        Assert.Equal(ChangeStage.Approval, change.Stage);
    }

    [Fact]
    public async Task A_step_that_keeps_failing_parks_the_change_as_stuck_on_its_last_delivery()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("locked", production: true, PublicAccessType.Blob);
        world.Connector.FailWrite = _ => true;
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;

        await People.ApproveAsync(app.CreateClient(People.Approver(app)), id);
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.Stuck);

        var stuck = Assert.Single(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.stuck");
        Assert.Equal("ApplyFix", stuck.Data!["step"]!.GetValue<string>());
        Assert.Equal(5, stuck.Data!["dequeueCount"]!.GetValue<int>()); // host.json maxDequeueCount
        var notices = await app.Services.GetRequiredService<OutboxNotifier>().PendingAsync(CancellationToken.None);
        Assert.Contains(notices, n => n.Kind == "change.stuck" && n.Subject == $"{id} stuck");
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    [Fact]
    public async Task Malformed_or_unknown_requests_are_problems_and_change_nothing()
    {
        var (world, _, app) = await StartAsync();
        await using var __ = app;
        var container = await world.CreateContainerAsync("strict", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        var approver = app.CreateClient(People.Approver(app));

        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/approve", People.Json("{not json")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/approve", People.Json("""{"acknowledgesIrreversible":"yes"}""")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/deny", People.Json("[1]")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/approve", null), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/approve", People.Json("""{"rationale":"no hash given"}""")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.PostAsync($"/api/changes/{id}/approve", People.Json("""{"rationale":7,"contextPackSha256":"abc"}""")), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.GetAsync("/api/changes/CHG-1999-0101-001"), HttpStatusCode.NotFound);
        await AssertProblemAsync(await approver.GetAsync("/api/changes/not-a-change"), HttpStatusCode.BadRequest);
        await AssertProblemAsync(await approver.GetAsync("/api/changes?max=0"), HttpStatusCode.BadRequest);

        var change = await GetAsync(app, id);
        Assert.Equal("approval", change["stage"]!.GetValue<string>());
        Assert.Equal(2, change["version"]!.GetValue<int>());
    }

    private static async Task<(RemediationWorld, FakeTimeProvider, TestFunctionApp)> StartAsync(Dictionary<string, string?>? settings = null)
    {
        var time = new FakeTimeProvider(Start);
        var world = await RemediationWorld.CreateAsync(time);
        // Tokens come from the app's issuer on the real clock: the bearer handler checks lifetimes against real time.
        return (world, time, await world.StartAsync(HostingMode.CustomHandler, time, settings: settings));
    }

    private static async Task<(Azure.Storage.Blobs.BlobContainerClient, ChangeId)> ClosedChangeAsync(RemediationWorld world, TestFunctionApp app)
    {
        var container = await world.CreateContainerAsync("downloads", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        await People.ApproveAsync(app.CreateClient(People.Approver(app)), id);
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.Closed);
        return (container, id);
    }

    private static async Task<JsonObject> GetAsync(TestFunctionApp app, ChangeId id) =>
        (await app.CreateClient(People.Auditor(app)).GetFromJsonAsync<JsonObject>($"/api/changes/{id}"))!;

    private static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private static JsonObject ResourceWrite(string account, string container) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["topic"] = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg",
        ["subject"] = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/{account}/blobServices/default/containers/{container}",
        ["eventType"] = "Microsoft.Resources.ResourceWriteSuccess",
        ["eventTime"] = "2026-11-23T10:00:00Z",
        ["data"] = new JsonObject { ["operationName"] = "Microsoft.Storage/storageAccounts/blobServices/containers/write" },
        ["dataVersion"] = "2",
        ["metadataVersion"] = "1",
    };
}
