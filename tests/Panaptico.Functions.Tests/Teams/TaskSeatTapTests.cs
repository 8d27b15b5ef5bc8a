using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Teams;
using Panaptico.Functions.Tests.Governance;
using Panaptico.Functions.Tests.Remediation;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Teams;

/// <summary>
/// A governed task's seat tapped in Teams, through the whole app (the standalone host's <c>POST /api/messages</c>, its
/// own wiring of the bot, the directory and the governance write): the same decision as <c>SignApproval</c>.
/// </summary>
public sealed class TaskSeatTapTests
{
    [Fact]
    public async Task The_routed_approver_signs_a_task_seat_from_its_card_and_a_stranger_and_a_second_tap_change_nothing()
    {
        using var fakes = new TeamsFakes();
        fakes.User("dpark", "D. Park");
        fakes.User("rlee", "R. Lee");
        fakes.Group("approvers", "dpark", "rlee");
        var options = fakes.Options();
        await using var host = await GovernanceHost.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["Teams:BotAppId"] = TeamsFakes.BotAppId,
                ["Teams:OpenIdMetadataUrl"] = options.OpenIdMetadataUrl.ToString(),
                ["Graph:BaseUrl"] = fakes.GraphOptions.BaseUrl.ToString(),
                ["Teams:RoleGroups:approver"] = "approvers",
            },
            services: s => s.AddSingleton<TokenCredential>(new FixedTokenCredential(ChainWorld.GraphToken)));
        const string id = "TASK-TEAMS1";
        (await host.PostAsync(Operator, "/api/plans", Plan("PLAN-" + id))).Is(HttpStatusCode.Created);
        await ActiveAsync(host, NewTask(id, "PLAN-" + id), id);
        (await host.PostAsync(Operator, $"/api/tasks/{id}/approvals", KmsRoute())).Is(HttpStatusCode.OK);
        var hash = (string)(await host.GetAsync(Operator, $"/api/tasks/{id}")).Body["approvals"]!["contextPackHash"]!;
        async Task<JsonObject> Tap(string verb, string who, string? rationale)
        {
            var data = new JsonObject { ["taskId"] = id, ["seat"] = "domain-cost-owner", ["contextPackSha256"] = hash };
            if (rationale is not null)
            {
                data[verb == BotFunctions.TaskDenyVerb ? "reason" : "rationale"] = rationale;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
            {
                Content = new StringContent(TeamsFakes.Invoke(verb, who, data).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new("Bearer", fakes.Token());
            using var response = await host.App.CreateClient().SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        }

        var stranger = await Tap(BotFunctions.TaskApproveVerb, "rlee", "fine by me");
        var reasonless = await Tap(BotFunctions.TaskApproveVerb, "dpark", null);
        var signed = await Tap(BotFunctions.TaskApproveVerb, "dpark", "cost contained");
        var again = await Tap(BotFunctions.TaskApproveVerb, "dpark", "cost contained");
        var task = (await host.GetAsync(Operator, $"/api/tasks/{id}")).Body;

        Assert.Contains("you may not decide this request", stranger["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal((400, "application/vnd.microsoft.error"), (reasonless["statusCode"]!.GetValue<int>(), reasonless["type"]!.GetValue<string>()));
        Assert.Equal("application/vnd.microsoft.card.adaptive", signed["type"]!.GetValue<string>());
        Assert.Contains("Seat domain-cost-owner signed", signed["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("D. Park (dpark)", signed["value"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.False(signed["value"]!.AsObject().ContainsKey("actions"));
        Assert.Contains("D. Park", again["value"]!.ToJsonString(), StringComparison.Ordinal);
        var seat = task["approvals"]!["seats"]!.AsArray().Select(s => s!.AsObject()).Single(s => (string?)s["seat"]!["id"] == "domain-cost-owner");
        Assert.Equal("Signed", (string?)seat["seat"]!["state"]);
        Assert.Contains("dpark", seat["signature"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("cost contained", seat["signature"]!.ToJsonString(), StringComparison.Ordinal);
    }
}
