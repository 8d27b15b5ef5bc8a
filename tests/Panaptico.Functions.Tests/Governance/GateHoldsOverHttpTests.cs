using System.Net;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>The app on the system clock with rules whose seats expire in seconds, so the durable timers fire in the test.</summary>
public sealed class ShortHoldsFixture : IAsyncLifetime
{
    public const string Rules = """
        version: "short.1"
        principals:
          dpark: { name: "D. Park", title: "VP Data Platform" }
          rlee: { name: "R. Lee", title: "Director, Data Platform" }
        owners:
          finance: { cost-envelope: dpark }
        rules:
          - id: domain-cost-owner
            to: { ownerOf: cost-envelope }
            because: "Owns cost envelope for {domain}"
            expiresAfter: PT2S
            fallback: { principal: rlee }
        """;

    private readonly string _rules = Path.Combine(Path.GetTempPath(), $"panaptico-short-rules-{Guid.NewGuid():N}.yaml");

    internal GovernanceHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_rules, Rules);
        Host = await GovernanceHost.StartAsync(
            new Dictionary<string, string?> { ["Governance:ApprovalRulesPath"] = _rules },
            s => s.AddSingleton(TimeProvider.System));
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        File.Delete(_rules);
    }
}

/// <summary>Gate holds end to end: HTTP writes schedule them, durable timers fire them, activities apply them once.</summary>
public sealed class GateHoldsOverHttpTests(ShortHoldsFixture fixture) : IClassFixture<ShortHoldsFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task A_seat_nobody_signs_is_rerouted_to_its_fallback_at_its_expiry_and_expires_when_the_fallback_lets_it_lapse_too()
    {
        await PlanAsync(_host, "PLAN-HOLD");
        await ActiveAsync(_host, NewTask("HOLD-1", "PLAN-HOLD"), "HOLD-1");
        (await _host.PostAsync(Operator, "/api/tasks/HOLD-1/approvals", KmsRoute())).Is(HttpStatusCode.OK);

        var followUps = await _host.FollowUpsAsync("HOLD-1");

        Assert.All(followUps, f => Assert.Equal(OrchestrationRuntimeStatus.Completed, f.RuntimeStatus));
        var task = (await _host.GetAsync(Operator, "/api/tasks/HOLD-1")).Body;
        var seat = task["approvals"]!["seats"]![0]!["seat"]!;
        Assert.Equal(("Expired", "R. Lee", "D. Park"), ((string?)seat["state"], (string?)seat["approver"]!["name"], (string?)seat["reroutedFrom"]!["name"]));
        var kinds = (await _host.LedgerAsync()).Where(r => r.Subject == "HOLD-1" && r.Kind.StartsWith("approval.", StringComparison.Ordinal)).Select(r => r.Kind);
        Assert.Equal(["approval.routed", "approval.rerouted", "approval.expired"], kinds);
        var outbox = await _host.OutboxAsync();
        Assert.Single(outbox, n => n is { Kind: "approval.requested", Recipient: "rlee" });
        Assert.Single(outbox, n => n is { Kind: "approval.expired", Subject: "HOLD-1: seat domain-cost-owner expired" });

        var late = (await _host.PostAsync(RLee, "/api/tasks/HOLD-1/approvals/domain-cost-owner", Sign("approve", "too late", (string)task["approvals"]!["contextPackHash"]!)))
            .IsProblem(HttpStatusCode.Gone);
        Assert.Equal("expired", (string?)late.Body["code"]);
    }

    [Fact]
    public async Task A_telemetry_window_that_elapses_asks_the_owner_for_the_export_covering_it_once()
    {
        var requirement = new
        {
            id = "bake",
            title = "Job telemetry · 2s post-bake",
            kind = "TelemetryWindow",
            window = new { duration = "PT2S", metric = "job_failure_pct", maxValue = 2, maxSampleGap = "PT1S" },
        };
        await PlanAsync(_host, "PLAN-BAKE");
        await ActiveAsync(_host, NewTask("BAKE-1", "PLAN-BAKE", requirements: [requirement], owner: "owner-bake"), "BAKE-1");

        (await _host.PostAsync(Operator, "/api/tasks/BAKE-1/evidence/bake/window", new { reason = "bake starts" })).Is(HttpStatusCode.OK);
        await _host.FollowUpsAsync("BAKE-1");

        Assert.Single(await _host.LedgerAsync(), r => r is { Kind: "evidence.window-elapsed", Subject: "BAKE-1" });
        var asked = Assert.Single(await _host.OutboxAsync(), n => n is { Kind: "evidence.window-elapsed" } && n.Subject.StartsWith("BAKE-1", StringComparison.Ordinal));
        Assert.Equal("owner-bake", asked.Recipient);
        var bake = (await _host.GetAsync(Operator, "/api/tasks/BAKE-1")).Body["evidence"]!["requirements"]![0]!;
        Assert.Equal("Missing", (string?)bake["status"]);
    }
}
