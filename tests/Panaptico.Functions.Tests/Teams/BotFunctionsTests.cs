using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Teams;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// The bot endpoint end to end on the remediation chain: a routed approver's tap approves (the same external event as the
/// HTTP API, the chain runs, the posted cards are updated); a stranger's, the requester's, a second and a late tap each
/// get a clear card and change nothing; a refused token decides nothing.
/// </summary>
public sealed class BotFunctionsTests
{
    [Fact]
    public async Task A_routed_approver_taps_Approve_and_the_change_is_approved_the_chain_runs_and_the_cards_are_updated()
    {
        await using var world = await TeamsWorld.StartAsync();
        var id = await world.PendingChangeAsync("tap");
        await TeamsWorld.EventuallyAsync(() => TeamsFakes.Requests(world.Fakes.Connector, "POST", "/activities").Count == 2, "the approval cards");

        var stranger = TeamsWorld.CardOf(await world.ApproveTapAsync(id, TeamsWorld.Ravi));
        await AssertUnchangedAsync(world, id);
        var approved = TeamsWorld.CardOf(await world.ApproveTapAsync(id, TeamsWorld.Sam));
        await world.Chain.Reached(id, "change.closed");
        var second = TeamsWorld.CardOf(await world.ApproveTapAsync(id, TeamsWorld.Nina));

        Assert.Contains("you may not decide this request", TeamsWorld.TextOf(stranger), StringComparison.Ordinal);
        Assert.Contains("Approved", TeamsWorld.TextOf(approved), StringComparison.Ordinal);
        Assert.Contains("Sam Kim", TeamsWorld.TextOf(approved), StringComparison.Ordinal);
        Assert.False(approved.ContainsKey("actions"));
        Assert.Contains("Approved", TeamsWorld.TextOf(second), StringComparison.Ordinal);
        Assert.Contains("Sam Kim", TeamsWorld.TextOf(second), StringComparison.Ordinal);
        var state = (await world.Chain.ViewAsync(id)).State;
        Assert.Equal((TeamsWorld.Sam, ApprovalOutcome.Granted), (state.Approval!.ApproverId, state.Approval.Outcome));
        Assert.Single(world.Chain.Ledger.Of(id), e => e.Kind == "change.approved");
        Assert.Single(world.Chain.Connector.Writes);
        // Every posted approval card is replaced by the decided one.
        await TeamsWorld.EventuallyAsync(() => TeamsFakes.Requests(world.Fakes.Connector, "PUT", "/activities/").Count == 2, "the card updates");
        Assert.All(TeamsFakes.Requests(world.Fakes.Connector, "PUT", "/activities/"),
            put => Assert.Contains("Approved", put.RequestMessage.Body!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_requesters_own_tap_is_refused_by_segregation_of_duties_and_changes_nothing()
    {
        await using var world = await TeamsWorld.StartAsync(o => o with { DetectorId = TeamsWorld.Nina });
        var id = await world.PendingChangeAsync("own");

        var own = TeamsWorld.CardOf(await world.ApproveTapAsync(id, TeamsWorld.Nina));

        Assert.Contains("you may not decide this request", TeamsWorld.TextOf(own), StringComparison.Ordinal);
        Assert.Contains("cannot", TeamsWorld.TextOf(own), StringComparison.Ordinal);
        await AssertUnchangedAsync(world, id);
    }

    [Fact]
    public async Task A_late_tap_gets_the_expired_card_and_changes_nothing()
    {
        await using var world = await TeamsWorld.StartAsync(o => o with { ApprovalExpiry = TimeSpan.FromSeconds(3) });
        var id = await world.PendingChangeAsync("late");
        await world.Chain.Reached(id, "change.expired");

        var late = TeamsWorld.CardOf(await world.ApproveTapAsync(id, TeamsWorld.Sam));

        Assert.Contains("Expired", TeamsWorld.TextOf(late), StringComparison.Ordinal);
        Assert.Equal(ChangeStage.Expired, (await world.Chain.ViewAsync(id)).State.Stage);
        Assert.DoesNotContain(world.Chain.Ledger.Of(id), e => e.Kind == "change.approved");
        Assert.Empty(world.Chain.Connector.Writes);
    }

    [Fact]
    public async Task A_deny_without_a_reason_is_a_400_error_a_refresh_shows_the_current_card_and_a_deny_with_one_closes_as_wont_fix()
    {
        await using var world = await TeamsWorld.StartAsync();
        var id = await world.PendingChangeAsync("deny");
        var data = new JsonObject { ["changeId"] = id.ToString(), ["contextPackSha256"] = await world.HashAsync(id) };

        var reasonless = await world.TapAsync(BotFunctions.DenyVerb, TeamsWorld.Sam, data.DeepClone().AsObject());
        var refreshRouted = TeamsWorld.CardOf(await world.TapAsync(BotFunctions.RefreshVerb, TeamsWorld.Nina, new JsonObject { ["changeId"] = id.ToString() }));
        var refreshStranger = TeamsWorld.CardOf(await world.TapAsync(BotFunctions.RefreshVerb, TeamsWorld.Ravi, new JsonObject { ["changeId"] = id.ToString() }));
        await AssertUnchangedAsync(world, id);
        var withReason = data.DeepClone().AsObject();
        withReason["reason"] = "Conflicts with the freeze";
        var denied = TeamsWorld.CardOf(await world.TapAsync(BotFunctions.DenyVerb, TeamsWorld.Sam, withReason));
        await world.Chain.Reached(id, "change.denied");

        Assert.Equal(200, reasonless.Status);
        Assert.Equal((400, "application/vnd.microsoft.error", "BadRequest"),
            (reasonless.Json!["statusCode"]!.GetValue<int>(), reasonless.Json["type"]!.GetValue<string>(), reasonless.Json["value"]!["code"]!.GetValue<string>()));
        Assert.Contains("approval.approve", TeamsWorld.TextOf(refreshRouted), StringComparison.Ordinal);
        Assert.Contains("you may not decide this request", TeamsWorld.TextOf(refreshStranger), StringComparison.Ordinal);
        Assert.Contains("Denied", TeamsWorld.TextOf(denied), StringComparison.Ordinal);
        Assert.Contains("Conflicts with the freeze", TeamsWorld.TextOf(denied), StringComparison.Ordinal);
        Assert.Equal(ChangeStage.WontFix, (await world.Chain.ViewAsync(id)).State.Stage);
    }

    [Fact]
    public async Task A_tap_with_a_refused_token_is_401_or_403_and_decides_nothing()
    {
        await using var world = await TeamsWorld.StartAsync();
        var id = await world.PendingChangeAsync("jwt");
        var fakes = world.Fakes;

        var answers = new[]
        {
            (401, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(expiresIn: TimeSpan.FromMinutes(-10)))),
            (401, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(audience: "someone-else"))),
            (401, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(issuer: "https://login.example/"))),
            (401, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(unknownKey: true))),
            (403, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(serviceUrl: "https://elsewhere.example/"))),
            (403, await world.ApproveTapAsync(id, TeamsWorld.Sam, fakes.Token(unendorsedKey: true))),
        };

        Assert.All(answers, a => Assert.Equal(a.Item1, a.Item2.Status));
        Assert.All(answers, a => Assert.Equal("application/problem+json", a.Item2.ContentType));
        await AssertUnchangedAsync(world, id);
    }

    private static async Task AssertUnchangedAsync(TeamsWorld world, ChangeId id)
    {
        var view = await world.Chain.ViewAsync(id);
        Assert.Equal((ChangeStage.Approval, 2), (view.State.Stage, view.State.Version));
        Assert.Empty(view.State.ApprovalGate!.Signatures);
        Assert.DoesNotContain(world.Chain.Ledger.Of(id), e => e.Kind is "change.approved" or "change.seat-signed" or "change.denied");
        Assert.Empty(world.Chain.Connector.Writes);
    }
}
