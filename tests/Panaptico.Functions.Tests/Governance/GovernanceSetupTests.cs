using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Governance;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

public sealed class GovernanceSetupTests
{
    [Fact]
    public async Task The_follow_up_and_release_waits_default_and_read_iso_8601_durations()
    {
        await using var byDefault = await TestFunctionApp.StartAsync(settings: new Dictionary<string, string?> { ["Governance:FollowUpDelay"] = null });
        await using var configured = await TestFunctionApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Governance:FollowUpDelay"] = "PT5S",
            ["Governance:FollowUpLooks"] = "2",
            ["Governance:ReleaseWait"] = "00:00:03",
        });

        var defaults = byDefault.Services.GetRequiredService<GovernanceOptions>();
        var options = configured.Services.GetRequiredService<GovernanceOptions>();

        Assert.Equal((TimeSpan.FromMinutes(1), 5, TimeSpan.FromSeconds(30)), (defaults.FollowUpDelay, defaults.FollowUpLooks, defaults.ReleaseWait));
        Assert.Equal((TimeSpan.FromSeconds(5), 2, TimeSpan.FromSeconds(3)), (options.FollowUpDelay, options.FollowUpLooks, options.ReleaseWait));
    }

    [Fact]
    public async Task Routing_with_no_readable_rules_file_is_a_500_problem_and_routes_nothing()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Governance:ApprovalRulesPath"] = "/nonexistent/approval-routes.yaml" });
        await PlanAsync(host, "PLAN-NORULES");
        await ActiveAsync(host, NewTask("NORULES-1", "PLAN-NORULES"), "NORULES-1");

        var refused = (await host.PostAsync(Operator, "/api/tasks/NORULES-1/approvals", KmsRoute())).IsProblem(HttpStatusCode.InternalServerError);

        Assert.Contains("/nonexistent/approval-routes.yaml", refused.Detail, StringComparison.Ordinal);
        Assert.Null((await host.GetAsync(Operator, "/api/tasks/NORULES-1")).Body["approvals"]);
    }
}
