using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Patterns.Storage;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Remediation;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// The remediation chain as an orchestration on the in-process Durable Task host: detection by the scan function, the
/// decisions through the change functions with a <see cref="DurableTaskClient"/>, the activities on Azurite. Timers
/// (approval expiry, rollback window, step retries) are seconds long through the settings.
/// </summary>
public sealed class RemediationChainTests
{
    /// <summary>The approved path of a production container, as the history shows it.</summary>
    private static readonly string[] ApprovedPath =
        ["change.opened", "change.approval-requested", "change.approved", "change.backed-up", "change.fixed",
         "change.verified", "change.rollback-bundle-stored", "change.closed"];

    [Fact]
    public async Task A_public_production_container_is_ticketed_approved_backed_up_fixed_verified_bundled_and_closed_out()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("customer-exports", production: true, PublicAccessType.Blob);

        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        var pending = await world.GetChangeAsync(id);

        Assert.Equal("approval", pending.Json!["stage"]!.GetValue<string>());
        Assert.Equal("platform-security@acme.example", pending.Json["ticket"]!["owner"]!.GetValue<string>());
        Assert.Equal((id.ToString(), "Running"),
            (pending.Json["orchestration"]!["instanceId"]!.GetValue<string>(), pending.Json["orchestration"]!["runtimeStatus"]!.GetValue<string>()));

        var approved = await world.ApproveAsync(id);
        Assert.Equal(202, approved.Status);
        var seat = approved.Json!["approvalGate"]!["seats"]![0]!;
        Assert.Equal(("signed", "nina.ramirez"), (seat["state"]!.GetValue<string>(), seat["signedBy"]!.GetValue<string>()));
        Assert.Equal("backup", approved.Json["stage"]!.GetValue<string>());

        await world.Reached(id, "change.closed");
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Equal(1, world.Connector.WritesTo(world.Asset(container)));
        var view = await world.ViewAsync(id);
        Assert.Equal(ChangeStage.Closed, view.State.Stage);
        Assert.Equal(ApprovedPath, view.History.Select(h => h.Event));
        Assert.Contains("approver: nina.ramirez", view.State.CloseOut!.Render(), StringComparison.Ordinal);
        // The ledger also holds the approval gate's own records, in the same stream, each once.
        string[] ledger = ["change.opened", "approval.routed", "change.approval-requested", "approval.signed", "approval.cleared", .. ApprovedPath[2..]];
        Assert.Equal(ledger, world.Ledger.Of(id).Select(e => e.Kind));
        Assert.Equal(world.Ledger.Of(id).Count, world.Ledger.Of(id).Select(e => e.EntryId).Distinct().Count());

        // The backup in the rollback vault is the exact state before the fix, and the state names its hash.
        var (_, backup) = await world.Vault.OpenAsync(id.ToString(), RemediationActivities.BackupName, CancellationToken.None);
        using var bytes = new MemoryStream();
        await backup.CopyToAsync(bytes);
        Assert.Equal(view.State.BackupSha256, Convert.ToHexStringLower(SHA256.HashData(bytes.ToArray())));
        Assert.Equal(PublicAccessLevel.Blob, ((ContainerState)view.State.Backup!).PublicAccess);
        Assert.Equal(DateTimeOffset.UtcNow.AddMinutes(30).Date, view.State.Bundle!.AvailableUntil!.Value.Date);

        Assert.Contains(world.Notifications, n => n.Kind == "change.approval-requested" && n.Recipient == "platform-security@acme.example");
        Assert.Single(world.Notifications, n => n.Kind == "change.closed" && n.Data?["changeId"]?.GetValue<string>() == id.ToString());

        // Closed, the orchestration waits out the rollback window on its durable timer.
        var instance = await world.Client.GetInstanceAsync(id.ToString());
        Assert.Equal(OrchestrationRuntimeStatus.Running, instance!.RuntimeStatus);
    }

    [Fact]
    public async Task A_non_production_violation_is_approved_by_policy_and_runs_to_its_close_out_without_waiting()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("dev-drop", production: false, PublicAccessType.None, longLivedWritePolicy: true);

        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.Reached(id, "change.closed");

        var view = await world.ViewAsync(id);
        Assert.Equal(ApprovalMode.Auto, view.State.Approval!.Mode);
        Assert.Equal(["change.opened", "change.approved", "change.backed-up", "change.fixed", "change.verified", "change.rollback-bundle-stored", "change.closed"],
            world.Ledger.Of(id).Select(e => e.Kind));
        Assert.Empty((await container.GetAccessPolicyAsync()).Value.SignedIdentifiers);
        Assert.Equal(1, world.Connector.WritesTo(world.Asset(container)));
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await world.Client.GetInstanceAsync(id.ToString()))!.RuntimeStatus);
    }

    [Fact]
    public async Task A_denial_closes_the_change_as_wont_fix_with_its_reason_and_changes_nothing()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("public-site", production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        var reasonless = await world.DenyAsync(id, "  ");
        var denied = await world.DenyAsync(id, "static website, public by design");
        var completed = await world.CompletedAsync(id);

        Assert.Equal("invalid", reasonless.Problem(400));
        Assert.Equal((200, "wont-fix"), (denied.Status, denied.Json!["stage"]!.GetValue<string>()));
        Assert.Equal("wont-fix", completed.ReadOutputAs<string>());
        var view = await world.ViewAsync(id);
        Assert.Equal((ChangeStage.WontFix, "denied: static website, public by design"), (view.State.Stage, view.State.Outcome));
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Empty(world.Connector.Writes);
        var denial = Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.denied");
        Assert.Equal("static website, public by design", denial.Data!["reason"]!.GetValue<string>());

        // Already decided: who decided it, and when, with the refusal.
        var late = await world.ApproveAsync(id, world.Approver("u-owen", "owen"));
        Assert.Equal("conflict", late.Problem(409));
        Assert.Equal(("denied", "nina.ramirez"), (late.Json!["decision"]!.GetValue<string>(), late.Json["decidedBy"]!.GetValue<string>()));
        Assert.NotNull(late.Json["decidedAt"]);
    }

    [Fact]
    public async Task An_undecided_approval_expires_on_its_durable_timer_with_nothing_changed_and_later_decisions_are_expired()
    {
        await using var world = await ChainWorld.StartAsync(new ChainWorldOptions { ApprovalExpiry = TimeSpan.FromSeconds(2) });
        var container = await world.CreateContainerAsync("archive", production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        var completed = await world.CompletedAsync(id);
        var lateApproval = await world.ApproveAsync(id);
        var lateDenial = await world.DenyAsync(id, "too late");

        Assert.Equal("expired", completed.ReadOutputAs<string>());
        Assert.Equal("expired", lateApproval.Problem(410));
        Assert.Equal("expired", lateDenial.Problem(410));
        Assert.Equal(ChangeStage.Expired, (await world.ViewAsync(id)).State.Stage);
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Empty(world.Connector.Writes);
        Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.expired");
    }

    [Fact]
    public async Task A_verification_mismatch_restores_the_backup_automatically_and_records_why()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("drifting", production: true, PublicAccessType.BlobContainer);
        // Something re-opens access right under the fix: the read-back will not match the prediction.
        world.Connector.AfterWrite = async (operation, inner) =>
        {
            if (operation is SetContainerPublicAccess { Level: PublicAccessLevel.None } fix)
            {
                await inner.ExecuteAsync(fix with { Level = PublicAccessLevel.Blob }, CancellationToken.None);
            }
        };
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        Assert.Equal(202, (await world.ApproveAsync(id)).Status);
        var completed = await world.CompletedAsync(id);

        Assert.Equal("rolled-back", completed.ReadOutputAs<string>());
        Assert.Equal(PublicAccessType.BlobContainer, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        var view = await world.ViewAsync(id);
        Assert.Contains("publicAccess: expected 'none', observed 'blob'", view.State.Outcome, StringComparison.Ordinal);
        Assert.Contains("restored from backup", view.State.Outcome, StringComparison.Ordinal);
        var ledger = world.Ledger.Of(id);
        Assert.Contains(ledger, e => e.Kind == "change.verify-mismatch");
        var rolledBack = Assert.Single(ledger, e => e.Kind == "change.rolled-back");
        Assert.Contains("publicAccess: expected 'none', observed 'blob'", rolledBack.Data!["why"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Contains(world.Notifications, n => n.Kind == "change.rolled-back");

        // The violation is back, so it is opened again at once, linked both ways, and the new change waits for a person.
        var followUp = Assert.IsType<ChangeId>(view.State.FollowedBy);
        Assert.Equal(id, (await world.ViewAsync(followUp)).State.Follows);
        var opened = Assert.Single(world.Ledger.Of(followUp), e => e.Kind == "change.opened");
        Assert.Equal(id.ToString(), opened.Data!["follows"]!.GetValue<string>());
        await world.Reached(followUp, "change.approval-requested");
        Assert.Single(ledger, e => e.Kind == "change.followed-up");
        Assert.Contains(world.Notifications, n => n.Kind == "change.followed-up" && n.Recipient == "platform-security@acme.example");
        Assert.Equal((followUp.ToString(), id.ToString()),
            ((await world.GetChangeAsync(id)).Json!["followedBy"]!.GetValue<string>(), (await world.GetChangeAsync(followUp)).Json!["follows"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_failed_fix_on_a_non_production_asset_opens_a_follow_up_that_waits_for_a_person_instead_of_looping()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("dev-flaky", production: false, PublicAccessType.None, longLivedWritePolicy: true);
        // Something puts a long-lived write policy back right under every fix.
        world.Connector.AfterWrite = async (operation, inner) =>
        {
            if (operation is SetContainerAccessPolicies { Policies.Count: 0 } fix)
            {
                await inner.ExecuteAsync(fix with { Policies = [new StoredAccessPolicy("sneaky", "rw", null, DateTimeOffset.UtcNow.AddDays(400))] }, CancellationToken.None);
            }
        };
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        Assert.Equal("rolled-back", (await world.CompletedAsync(id)).ReadOutputAs<string>());
        var followUp = (await world.ViewAsync(id)).State.FollowedBy!.Value;
        await world.Reached(followUp, "change.approval-requested");
        await world.ScanAsync();

        var next = await world.ViewAsync(followUp);
        Assert.Equal((ChangeStage.Approval, (ApprovalDecision?)null), (next.State.Stage, next.State.Approval));
        Assert.Equal(2, world.Ledger.Entries.Count(e => e.Kind == "change.opened"));
    }

    [Fact]
    public async Task A_wont_fix_is_an_exception_with_an_owner_and_an_expiry_after_which_detection_opens_a_new_change()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("public-docs", production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.DenyAsync(id, "public documentation site");
        Assert.Equal("wont-fix", (await world.CompletedAsync(id)).ReadOutputAs<string>());

        var denied = Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.denied");
        var exception = denied.Data!["exception"]!;
        Assert.Equal(("wont-fix", "nina.ramirez", "public documentation site"),
            (exception["kind"]!.GetValue<string>(), exception["owner"]!.GetValue<string>(), exception["reason"]!.GetValue<string>()));
        var until = exception["until"]!.GetValue<DateTimeOffset>();
        Assert.Equal(exception["since"]!.GetValue<DateTimeOffset>().AddDays(30), until);
        var change = (await world.GetChangeAsync(id)).Json!;
        Assert.EndsWith($"exception: wont-fix owned by nina.ramirez until {exception["until"]!.GetValue<string>()} (public documentation site)",
            change["ticketText"]!.GetValue<string>(), StringComparison.Ordinal);
        var listed = Assert.Single((await ExceptionsAsync(world)).AsArray())!;
        Assert.Equal((id.ToString(), "wont-fix", true), (listed["changeId"]!.GetValue<string>(), listed["kind"]!.GetValue<string>(), listed["standing"]!.GetValue<bool>()));

        // While it stands, the scan opens nothing; once it lapses, the next scan opens a new change.
        await world.ScanAsync();
        Assert.Single(world.Ledger.Entries, e => e.Kind == "change.opened");
        world.Clock.Offset = until - DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        Assert.Empty((await ExceptionsAsync(world)).AsArray());
        Assert.False(Assert.Single((await ExceptionsAsync(world, "?all=true")).AsArray())!["standing"]!.GetValue<bool>());
        await world.ScanAsync();
        var reopened = await world.Ledger.WhenAsync(e => e.Kind == "change.opened" && e.Subject != id.ToString());
        Assert.Equal(world.Asset(container).ToString(), reopened.Data!["asset"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_revert_is_an_exception_owned_by_whoever_reverted_and_the_asset_is_not_reopened_while_it_stands()
    {
        await using var world = await ChainWorld.StartAsync();
        var (container, id) = await ClosedChangeAsync(world);
        Assert.Equal(202, (await world.RevertAsync(id)).Status);
        Assert.Equal("reverted", (await world.CompletedAsync(id)).ReadOutputAs<string>());

        var exception = Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.reverted").Data!["exception"]!;
        Assert.Equal(("reverted", "u-omar"), (exception["kind"]!.GetValue<string>(), exception["owner"]!.GetValue<string>()));
        await world.ScanAsync();
        Assert.Single(world.Ledger.Entries, e => e.Kind == "change.opened");
        Assert.Equal("reverted", Assert.Single((await ExceptionsAsync(world)).AsArray())!["kind"]!.GetValue<string>());

        world.Clock.Offset = TimeSpan.FromDays(31);
        await world.ScanAsync();
        await world.Ledger.WhenAsync(e => e.Kind == "change.opened" && e.Subject != id.ToString());
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> ExceptionsAsync(ChainWorld world, string? query = null)
    {
        var answer = await world.CallAsync(r => world.Api.ListExceptionsAsync(r, CancellationToken.None), "GET", world.Auditor(), query: query);
        Assert.Equal(200, answer.Status);
        return answer.Body!;
    }

    [Fact]
    public async Task An_operator_reverts_inside_the_rollback_window_to_the_exact_prior_state_and_an_approver_may_not()
    {
        await using var world = await ChainWorld.StartAsync();
        var (container, id) = await ClosedChangeAsync(world);

        var byApprover = await world.RevertAsync(id, world.Approver());
        var reverted = await world.RevertAsync(id);
        var again = await world.RevertAsync(id);
        var completed = await world.CompletedAsync(id);

        Assert.Equal("forbidden", byApprover.Problem(403));
        Assert.Equal((202, "reverting"), (reverted.Status, reverted.Json!["stage"]!.GetValue<string>()));
        Assert.True(again.Status is 409 or 202, "a second revert is refused, or (having raced the first) changes nothing");
        Assert.Equal("reverted", completed.ReadOutputAs<string>());
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        var revert = Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.revert-requested");
        Assert.Equal("u-omar", revert.Actor);
        Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.reverted");
        Assert.Equal(2, world.Connector.WritesTo(world.Asset(container)));
    }

    [Fact]
    public async Task After_the_rollback_window_the_change_is_settled_and_a_revert_is_expired()
    {
        await using var world = await ChainWorld.StartAsync(new ChainWorldOptions { RollbackWindow = TimeSpan.FromSeconds(2) });
        var (container, id) = await ClosedChangeAsync(world);

        var completed = await world.CompletedAsync(id);
        var late = await world.RevertAsync(id);

        Assert.Equal("closed", completed.ReadOutputAs<string>());
        Assert.Equal("expired", late.Problem(410));
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        var view = await world.ViewAsync(id);
        Assert.NotNull(view.State.SettledAt);
        Assert.Equal([.. ApprovedPath, "change.settled"], view.History.Select(h => h.Event));
        Assert.DoesNotContain(world.Ledger.Of(id), e => e.Kind.StartsWith("change.revert", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_irreversible_fix_needs_an_approval_that_says_so_closes_without_a_rollback_window_and_cannot_be_reverted()
    {
        await using var world = await ChainWorld.StartAsync(new ChainWorldOptions { Patterns = new PatternRegistry([new IrreversiblePublicAccess()]) });
        var container = await world.CreateContainerAsync("one-way", production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        var unacknowledged = await world.ApproveAsync(id);
        var acknowledged = await world.ApproveAsync(id, acknowledgesIrreversible: true);
        var completed = await world.CompletedAsync(id);
        var revert = await world.RevertAsync(id);

        Assert.Equal("irreversible-not-acknowledged", unacknowledged.Problem(422));
        Assert.Equal(202, acknowledged.Status);
        Assert.Equal("closed", completed.ReadOutputAs<string>());
        var view = await world.ViewAsync(id);
        Assert.True(view.State.Approval!.AcknowledgedIrreversible);
        Assert.IsType<Irreversible>(view.State.Bundle!.Inverse);
        Assert.EndsWith("rollback: not available (irreversible)", view.State.CloseOut!.Render(), StringComparison.Ordinal);
        Assert.Equal("conflict", revert.Problem(409));
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    [Fact]
    public async Task A_step_that_fails_on_every_attempt_parks_the_change_as_stuck_with_what_failed()
    {
        await using var world = await ChainWorld.StartAsync(new ChainWorldOptions { StepAttempts = 2 });
        var container = await world.CreateContainerAsync("locked", production: true, PublicAccessType.Blob);
        world.Connector.FailWrite = _ => true;
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));

        await world.ApproveAsync(id);
        var completed = await world.CompletedAsync(id);

        Assert.Equal("stuck", completed.ReadOutputAs<string>());
        var stuck = Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.stuck");
        Assert.Equal(("ApplyFix", 2), (stuck.Data!["step"]!.GetValue<string>(), stuck.Data["attempts"]!.GetValue<int>()));
        Assert.Contains("the storage write failed (test)", stuck.Data["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        // The transition recorded with the failed step (backed up) is on the record too, once.
        Assert.Single(world.Ledger.Of(id), e => e.Kind == "change.backed-up");
        Assert.Contains(world.Notifications, n => n.Kind == "change.stuck" && n.Subject == $"{id} stuck");
        Assert.Equal(PublicAccessType.Blob, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
    }

    [Fact]
    public async Task Re_detecting_an_open_violation_by_scan_or_event_schedules_no_second_change()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("twice", production: true, PublicAccessType.Blob);

        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.ScanAsync();
        var evented = await world.CallAsync(r => world.Events.RunAsync(r, world.Client, CancellationToken.None), "POST", null,
            ResourceEventsTests.ResourceWrite(world.Blobs.AccountName, container.Name).ToJsonString());

        Assert.Equal(200, evented.Status);
        var listed = await world.CallAsync(r => world.Api.ListChangesAsync(r, CancellationToken.None), "GET", world.Auditor());
        Assert.Equal(id.ToString(), Assert.Single(listed.Body!.AsArray())!["id"]!.GetValue<string>());
        Assert.Single(world.Ledger.Entries, e => e.Kind == "change.opened");
    }

    [Fact]
    public async Task Recording_a_step_again_writes_nothing_twice()
    {
        await using var world = await ChainWorld.StartAsync();
        var container = await world.CreateContainerAsync("replayed", production: false, PublicAccessType.None, longLivedWritePolicy: true);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.Reached(id, "change.closed");
        var (entries, calls, writes) = (world.Ledger.Entries.Count, world.Ledger.Calls, world.Connector.Writes.Count);

        // Activities run again, as a crash after them would have it: the fix is there already, the close-out is recorded
        // already (same history row, same ledger entry id).
        var state = (await world.ViewAsync(id)).State;
        var closing = (await world.ViewAsync(id)).History[^1];
        var record = new ChainRecord([closing], [world.Ledger.Of(id)[^1]], []);
        var fixing = state with { Stage = ChangeStage.Fix };
        await world.Activities.ApplyFix(new ChainStepInput(id.ToString(), Wire.Json(fixing)));
        Assert.False(await world.Activities.Record(new ChainStepInput(id.ToString(), Wire.Json(state), Wire.Json(record))));

        Assert.Equal((entries, writes), (world.Ledger.Entries.Count, world.Connector.Writes.Count));
        Assert.Equal(calls + 1, world.Ledger.Calls);
        Assert.Equal(ChangeStage.Closed, (await world.ViewAsync(id)).State.Stage);
    }

    private static async Task<(Azure.Storage.Blobs.BlobContainerClient, Core.Remediation.Tickets.ChangeId)> ClosedChangeAsync(ChainWorld world)
    {
        var container = await world.CreateContainerAsync("downloads", production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        Assert.Equal(202, (await world.ApproveAsync(id)).Status);
        await world.Reached(id, "change.closed");
        return (container, id);
    }

    /// <summary>Public container access whose fix declares itself irreversible, to exercise the chain's handling of one.</summary>
    private sealed class IrreversiblePublicAccess : ViolationPattern
    {
        private readonly PublicContainerAccess _inner = new();

        public override string Id => "TEST-IRREVERSIBLE";

        public override string Title => "test pattern with an irreversible fix";

        public override Severity Severity => Severity.High;

        public override IReadOnlyList<FrameworkControl> Frameworks => _inner.Frameworks;

        public override AppliesTo AppliesTo => _inner.AppliesTo;

        public override string FixAction => "remove public access for good";

        public override string? IrreversibleReason => "test: the fix cannot be undone";

        public override IReadOnlyList<FieldValue> Project(AssetState asset) => _inner.Project(asset);

        protected override IReadOnlyList<Observation> FindViolations(AssetState asset, DateTimeOffset readAt) =>
            ((ContainerState)asset).PublicAccess == PublicAccessLevel.None ? [] : [new Observation("publicAccess", "public", "none")];

        protected override StorageOperation Fix(AssetState asset, DateTimeOffset readAt) => new SetContainerPublicAccess(asset.Id, PublicAccessLevel.None);

        protected override StorageOperation Restore(AssetState backup, string backupFile) => throw new InvalidOperationException("irreversible");
    }
}
