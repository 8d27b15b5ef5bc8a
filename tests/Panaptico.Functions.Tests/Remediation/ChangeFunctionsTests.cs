using Azure.Storage.Blobs.Models;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>
/// The change functions' refusals, each answered from the chain's own decision before anything is raised or written:
/// the change stays where it was, and its ledger holds nothing new.
/// </summary>
public sealed class ChangeFunctionsTests
{
    [Fact]
    public async Task A_change_shows_its_routed_seat_and_the_gate_refuses_reasonless_stale_or_unrouted_signatures()
    {
        await using var world = await ChainWorld.StartAsync();
        var id = await PendingChangeAsync(world, "payroll");
        var gate = (await world.GetChangeAsync(id)).Json!["approvalGate"]!;
        var hash = gate["contextPackSha256"]!.GetValue<string>();

        var seat = Assert.Single(gate["seats"]!.AsArray())!;
        Assert.Equal(("domain-cost-owner", "Nina Ramirez", "Owns cost envelope & perf SLO for platform", "open"),
            (seat["seatId"]!.GetValue<string>(), seat["approver"]!.GetValue<string>(), seat["routedBecause"]!.GetValue<string>(), seat["state"]!.GetValue<string>()));
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Contains("az storage container set-permission", gate["contextPack"]!["workloadDiff"]!.GetValue<string>(), StringComparison.Ordinal);

        var reasonless = await ApproveWithAsync(world, id, $$"""{"rationale":" ","contextPackSha256":"{{hash}}"}""");
        var stale = await ApproveWithAsync(world, id, $$"""{"rationale":"ok","contextPackSha256":"{{new string('0', 64)}}"}""");
        var unrouted = await world.ApproveAsync(id, world.Approver("u-ravi", "ravi"));
        var noSuchSeat = await ApproveWithAsync(world, id, $$"""{"seatId":"nope","rationale":"ok","contextPackSha256":"{{hash}}"}""");

        Assert.Equal("invalid", reasonless.Problem(400));
        Assert.Contains("rationale", reasonless.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("stale-context", stale.Problem(409));
        Assert.Contains(hash, stale.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("forbidden", unrouted.Problem(403));
        Assert.Equal("not-found", noSuchSeat.Problem(404));
        await AssertUnchangedAsync(world, id);
    }

    [Fact]
    public async Task The_requester_of_a_change_cannot_approve_it()
    {
        await using var world = await ChainWorld.StartAsync(new ChainWorldOptions { DetectorId = "u-nina" });
        var id = await PendingChangeAsync(world, "reports");

        var answer = await world.ApproveAsync(id, world.Approver(id: "u-nina"));

        Assert.Equal("segregation-of-duties", answer.Problem(403));
        Assert.Equal("Segregation of duties", answer.Json!["title"]!.GetValue<string>());
        await AssertUnchangedAsync(world, id);
    }

    [Fact]
    public async Task A_caller_without_the_approver_role_cannot_approve_and_a_reader_needs_a_role()
    {
        await using var world = await ChainWorld.StartAsync();
        var id = await PendingChangeAsync(world, "ledgers");

        var byOperator = await world.ApproveAsync(id, world.Operator());
        var anonymous = await world.CallAsync(r => world.Api.GetChangeAsync(r, id.ToString(), world.Client, CancellationToken.None), "GET", null);
        var listed = await world.CallAsync(r => world.Api.ListChangesAsync(r, CancellationToken.None), "GET", world.Auditor());

        Assert.Equal("forbidden", byOperator.Problem(403));
        Assert.Equal("unauthenticated", anonymous.Problem(401));
        Assert.Equal(id.ToString(), Assert.Single(listed.Body!.AsArray())!["id"]!.GetValue<string>());
        await AssertUnchangedAsync(world, id);
    }

    [Fact]
    public async Task Malformed_or_unknown_requests_are_problems_and_change_nothing()
    {
        await using var world = await ChainWorld.StartAsync();
        var id = await PendingChangeAsync(world, "strict");
        var approver = world.Approver();
        Task<Answer> Approve(string? body) =>
            world.CallAsync(r => world.Api.ApproveChangeAsync(r, id.ToString(), world.Client, CancellationToken.None), "POST", approver, body);
        Task<Answer> Get(string changeId) =>
            world.CallAsync(r => world.Api.GetChangeAsync(r, changeId, world.Client, CancellationToken.None), "GET", approver);

        Assert.Equal("invalid", (await Approve("{not json")).Problem(400));
        Assert.Equal("invalid", (await Approve("""{"acknowledgesIrreversible":"yes"}""")).Problem(400));
        Assert.Equal("invalid", (await world.CallAsync(r => world.Api.DenyChangeAsync(r, id.ToString(), world.Client, CancellationToken.None), "POST", approver, "[1]")).Problem(400));
        Assert.Equal("invalid", (await Approve(null)).Problem(400));
        Assert.Equal("invalid", (await Approve("""{"rationale":"no hash given"}""")).Problem(400));
        Assert.Equal("invalid", (await Approve("""{"rationale":7,"contextPackSha256":"abc"}""")).Problem(400));
        Assert.Equal("not-found", (await Get("CHG-1999-0101-001")).Problem(404));
        Assert.Equal("invalid", (await Get("not-a-change")).Problem(400));
        Assert.Equal("invalid", (await world.CallAsync(r => world.Api.ListChangesAsync(r, CancellationToken.None), "GET", approver, query: "?max=0")).Problem(400));
        Assert.Equal("conflict", (await world.RevertAsync(id)).Problem(409));
        await AssertUnchangedAsync(world, id);
    }

    [Fact]
    public async Task A_decided_change_refuses_every_further_decision_with_who_decided_and_when_whoever_sends_it()
    {
        await using var world = await ChainWorld.StartAsync();
        var id = await PendingChangeAsync(world, "decided");
        var hash = (await world.GetChangeAsync(id)).Json!["approvalGate"]!["contextPackSha256"]!.GetValue<string>();
        Assert.Equal(202, (await world.ApproveAsync(id)).Status);
        await world.Reached(id, "change.closed");
        var before = (await world.GetChangeAsync(id)).Json!;
        var ledger = world.Ledger.Of(id).Count;

        Answer[] refused =
        [
            await world.ApproveAsync(id),
            await world.ApproveAsync(id, world.Approver("u-ravi", "ravi")),
            await ApproveWithAsync(world, id, $$"""{"rationale":"again","contextPackSha256":"{{new string('0', 64)}}"}"""),
            await ApproveWithAsync(world, id, $$"""{"seatId":"nope","rationale":"again","contextPackSha256":"{{hash}}"}"""),
            await world.DenyAsync(id, "changed my mind"),
            await world.DenyAsync(id, "not mine to deny", world.Approver("u-ravi", "ravi")),
        ];

        foreach (var answer in refused)
        {
            Assert.Equal("conflict", answer.Problem(409));
            Assert.Equal(("approved", "nina.ramirez"), (answer.Json!["decision"]!.GetValue<string>(), answer.Json["decidedBy"]!.GetValue<string>()));
            Assert.Equal(before["approval"]!["decidedAt"]!.GetValue<DateTimeOffset>(), answer.Json["decidedAt"]!.GetValue<DateTimeOffset>());
            Assert.Contains("already approved by nina.ramirez at", answer.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        var after = (await world.GetChangeAsync(id)).Json!;
        Assert.Equal((before["version"]!.GetValue<int>(), "closed"), (after["version"]!.GetValue<int>(), after["stage"]!.GetValue<string>()));
        Assert.Equal(ledger, world.Ledger.Of(id).Count);
    }

    private static async Task<ChangeId> PendingChangeAsync(ChainWorld world, string name)
    {
        var container = await world.CreateContainerAsync(name, production: true, PublicAccessType.Blob);
        await world.ScanAsync();
        var id = await world.OpenedOnAsync(world.Asset(container));
        await world.Reached(id, "change.approval-requested");
        return id;
    }

    private static Task<Answer> ApproveWithAsync(ChainWorld world, ChangeId id, string body) =>
        world.CallAsync(r => world.Api.ApproveChangeAsync(r, id.ToString(), world.Client, CancellationToken.None), "POST", world.Approver(), body);

    private static async Task AssertUnchangedAsync(ChainWorld world, ChangeId id)
    {
        var change = (await world.GetChangeAsync(id)).Json!;
        Assert.Equal(("approval", 2), (change["stage"]!.GetValue<string>(), change["version"]!.GetValue<int>()));
        Assert.Equal(["change.opened", "approval.routed", "change.approval-requested"], world.Ledger.Of(id).Select(e => e.Kind));
        Assert.Empty(world.Connector.Writes);
        Assert.Equal(ChangeStage.Approval, (await world.ViewAsync(id)).State.Stage);
    }
}
