using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Standalone;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

public sealed class GovernanceSetupTests
{
    private static readonly DateTime At = new(2026, 11, 23, 10, 0, 30, DateTimeKind.Utc);

    [Fact]
    public async Task The_approval_expiry_timer_runs_every_minute_unless_its_setting_says_otherwise()
    {
        await using var byDefault = await TestFunctionApp.StartAsync(HostingMode.Standalone);
        await using var configured = await TestFunctionApp.StartAsync(HostingMode.Standalone,
            settings: new Dictionary<string, string?> { ["ApprovalExpirySchedule"] = "0 */5 * * * *" });

        Assert.Equal(At.AddSeconds(30), NextRun(byDefault));
        Assert.Equal(new DateTime(2026, 11, 23, 10, 5, 0, DateTimeKind.Utc), NextRun(configured));
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

    private static DateTime? NextRun(TestFunctionApp app)
    {
        var function = app.Services.GetRequiredService<FunctionCatalog>().Find("ApprovalExpiry")!;
        return TimerTriggerRunner.ParseSchedule(function, app.Services.GetRequiredService<IConfiguration>()).GetNextOccurrence(At);
    }
}
