using System.Text.Json.Nodes;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Functions.Remediation;
using Panaptico.Functions.Teams;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// Delivery as activities of the remediation chain, against the fake token endpoint, Bot Connector and Graph: what we
/// send (URL, auth header, body), retries and the ledger's record of what could not be delivered, and no double posts.
/// </summary>
public sealed class TeamsDeliveryTests
{
    [Fact]
    public async Task The_request_reaches_each_routed_approvers_chat_and_feed_and_the_close_out_reaches_the_audit_channel()
    {
        await using var world = await TeamsWorld.StartAsync();
        var fakes = world.Fakes;
        var id = await world.PendingChangeAsync("deliver");
        await TeamsWorld.EventuallyAsync(() => TeamsFakes.Requests(fakes.Graph, "POST", "sendActivityNotification").Count == 2, "the activity feed");

        // The seat went to the directory group's members, as the directory answered them, and says when.
        var seat = Assert.Single((await world.Chain.ViewAsync(id)).State.ApprovalGate!.Seats).Approver;
        Assert.Equal([TeamsWorld.Nina, TeamsWorld.Sam], seat.Members.Order());
        Assert.Equal(TeamsWorld.PlatformSecurityGroup, seat.DirectoryGroupId);
        Assert.NotNull(seat.ResolvedAt);
        Assert.Single(TeamsFakes.Requests(fakes.Graph, "GET", $"/groups/{TeamsWorld.PlatformSecurityGroup}/members"));

        // The token: client credentials for the Bot Framework scope, from the tenant's endpoint, once (cached).
        var token = Assert.Single(TeamsFakes.Requests(fakes.Login, "POST", "/oauth2/v2.0/token"));
        Assert.Equal($"/{TeamsFakes.TenantId}/oauth2/v2.0/token", token.RequestMessage.Path);
        var form = token.RequestMessage.Body!;
        Assert.Contains("grant_type=client_credentials", form, StringComparison.Ordinal);
        Assert.Contains($"client_id={TeamsFakes.BotAppId}", form, StringComparison.Ordinal);
        Assert.Contains($"client_secret={TeamsFakes.ClientSecret}", form, StringComparison.Ordinal);
        Assert.Contains("scope=https%3A%2F%2Fapi.botframework.com%2F.default", form, StringComparison.Ordinal);

        // One personal conversation per routed approver, then the card in it.
        var conversations = TeamsFakes.Requests(fakes.Connector, "POST", "/v3/conversations").Where(e => e.RequestMessage.Path == "/v3/conversations").ToList();
        Assert.Equal([TeamsWorld.Nina, TeamsWorld.Sam], conversations.Select(c => JsonNode.Parse(c.RequestMessage.Body!)!["members"]![0]!["id"]!.GetValue<string>()).Order());
        Assert.All(conversations, c =>
        {
            var body = JsonNode.Parse(c.RequestMessage.Body!)!;
            Assert.Equal(($"28:{TeamsFakes.BotAppId}", false, TeamsFakes.TenantId),
                (body["bot"]!["id"]!.GetValue<string>(), body["isGroup"]!.GetValue<bool>(), body["tenantId"]!.GetValue<string>()));
            Assert.Equal($"Bearer {TeamsFakes.BotToken}", c.RequestMessage.Headers!["Authorization"].Single());
        });
        var posts = TeamsFakes.Requests(fakes.Connector, "POST", "/activities");
        Assert.Equal(2, posts.Count);
        Assert.All(posts, p =>
        {
            var body = JsonNode.Parse(p.RequestMessage.Body!)!;
            Assert.Equal("message", body["type"]!.GetValue<string>());
            var attachment = body["attachments"]![0]!;
            Assert.Equal("application/vnd.microsoft.card.adaptive", attachment["contentType"]!.GetValue<string>());
            Assert.Equal(("AdaptiveCard", "1.5"), (attachment["content"]!["type"]!.GetValue<string>(), attachment["content"]!["version"]!.GetValue<string>()));
            Assert.Contains(id.ToString(), attachment["content"]!.ToJsonString(), StringComparison.Ordinal);
            // WireMock logs the path decoded; we send the conversation id escaped.
            Assert.StartsWith("/v3/conversations/a:1x-personal-", p.RequestMessage.Path, StringComparison.Ordinal);
            Assert.Equal($"Bearer {TeamsFakes.BotToken}", p.RequestMessage.Headers!["Authorization"].Single());
        });
        // The activity feed, through Graph with the app's token.
        Assert.All(TeamsFakes.Requests(fakes.Graph, "POST", "sendActivityNotification"), n =>
        {
            var body = JsonNode.Parse(n.RequestMessage.Body!)!;
            Assert.Equal("approvalRequired", body["activityType"]!.GetValue<string>());
            Assert.Equal($"{id} needs your approval", body["previewText"]!["content"]!.GetValue<string>());
            Assert.Equal("text", body["topic"]!["source"]!.GetValue<string>());
            Assert.Equal($"Bearer {Remediation.ChainWorld.GraphToken}", n.RequestMessage.Headers!["Authorization"].Single());
        });
        Assert.Equal(
            [$"/v1.0/users/{TeamsWorld.Nina}/teamwork/sendActivityNotification", $"/v1.0/users/{TeamsWorld.Sam}/teamwork/sendActivityNotification"],
            TeamsFakes.Requests(fakes.Graph, "POST", "sendActivityNotification").Select(n => n.RequestMessage.Path).Order());

        // Approved over HTTP: the close-out goes to the audit channel, in the same shape.
        Assert.Equal(202, (await world.Chain.ApproveAsync(id, world.Chain.Issuer.Issue(TeamsWorld.Sam, "Sam Kim", [Role.Approver]))).Status);
        await TeamsWorld.EventuallyAsync(() => TeamsFakes.Requests(fakes.Connector, "POST", "audit").Count == 1, "the close-out");
        var closeOut = Assert.Single(TeamsFakes.Requests(fakes.Connector, "POST", "audit"));
        Assert.Equal($"/v3/conversations/{TeamsFakes.AuditConversation}/activities", closeOut.RequestMessage.Path);
        Assert.Contains($"{id} closed", closeOut.RequestMessage.Body!, StringComparison.Ordinal);
        Assert.Single(TeamsFakes.Requests(fakes.Login, "POST", "/oauth2/v2.0/token"));
        Assert.DoesNotContain(world.Chain.Ledger.Of(id), e => e.Kind == TeamsDelivery.UndeliveredKind);
    }

    [Fact]
    public async Task A_failing_Bot_Connector_is_retried_then_recorded_as_undelivered_and_the_change_is_still_decided_over_HTTP()
    {
        await using var world = await TeamsWorld.StartAsync(connectorFails: true);
        var id = await world.PendingChangeAsync("fails");

        var undelivered = await world.Chain.Ledger.WhenAsync(e => e.Subject == id.ToString() && e.Kind == TeamsDelivery.UndeliveredKind);
        var approved = await world.Chain.ApproveAsync(id, world.Chain.Issuer.Issue(TeamsWorld.Sam, "Sam Kim", [Role.Approver]));
        await world.Chain.Reached(id, "change.closed");
        var closeOut = await world.Chain.Ledger.WhenAsync(e => e.Subject == id.ToString() && e.Kind == TeamsDelivery.UndeliveredKind && e.Data!["step"]!.GetValue<string>() == TeamsDelivery.CloseOutStep);

        Assert.Equal(TeamsDelivery.RequestStep, undelivered.Data!["step"]!.GetValue<string>());
        Assert.Contains("500", undelivered.Data["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(TeamsFakes.ClientSecret, undelivered.Data.ToJsonString(), StringComparison.Ordinal);
        // Every attempt tried each of the two approvers: three attempts (the world's DeliveryAttempts).
        Assert.Equal(2 * world.Chain.Options.DeliveryAttempts, TeamsFakes.Requests(world.Fakes.Connector, "POST", "/v3/conversations").Count(e => e.RequestMessage.Path == "/v3/conversations"));
        Assert.Equal(202, approved.Status);
        Assert.Equal(ChangeStage.Closed, (await world.Chain.ViewAsync(id)).State.Stage);
        Assert.NotNull(closeOut);
    }

    [Fact]
    public async Task A_delivery_activity_run_again_posts_nothing_twice()
    {
        await using var world = await TeamsWorld.StartAsync();
        var id = await world.PendingChangeAsync("rerun");
        await TeamsWorld.EventuallyAsync(() => TeamsFakes.Requests(world.Fakes.Graph, "POST", "sendActivityNotification").Count == 2, "the first delivery");
        var input = new TeamsDeliveryInput(id.ToString(), Wire.Json((await world.Chain.ViewAsync(id)).State));

        var reached = await world.Chain.Teams.SendApprovalRequest(input);
        await world.Chain.Teams.SendApprovalRequest(input);

        Assert.Equal(2, reached);
        Assert.Equal(2, TeamsFakes.Requests(world.Fakes.Connector, "POST", "/activities").Count);
        Assert.Equal(2, TeamsFakes.Requests(world.Fakes.Graph, "POST", "sendActivityNotification").Count);
        Assert.Equal(2, (await world.Chain.Deliveries.PostedAsync(id.ToString(), TeamsDelivery.RequestStep, CancellationToken.None)).Count);
    }
}
