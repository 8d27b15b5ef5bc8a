using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Governance;
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
    public async Task A_start_with_no_readable_rules_file_fails_naming_the_file()
    {
        var failure = await Assert.ThrowsAsync<ApprovalRulesUnavailableException>(() =>
            StartAsync(new Dictionary<string, string?> { ["Governance:ApprovalRulesPath"] = "/nonexistent/approval-routes.yaml" }));

        Assert.Contains("/nonexistent/approval-routes.yaml", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_start_with_an_invalid_rules_file_fails_naming_its_problems()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rules-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "version: [not, a, rules, file\n");

        var failure = await Assert.ThrowsAsync<ApprovalRulesUnavailableException>(() =>
            StartAsync(new Dictionary<string, string?> { ["Governance:ApprovalRulesPath"] = path }));

        Assert.Contains(path, failure.Message, StringComparison.Ordinal);
    }
}
