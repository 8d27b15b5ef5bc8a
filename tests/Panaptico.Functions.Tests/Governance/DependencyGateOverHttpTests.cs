using System.Net;
using System.Text.Json.Nodes;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

public sealed class DependencyGateOverHttpTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task A_dependency_that_would_close_a_cycle_is_refused_naming_it_and_nothing_changes()
    {
        await PlanAsync(_host, "PLAN-CYC");
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("CYC-A", "PLAN-CYC"))).Is(HttpStatusCode.Created);
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("CYC-B", "PLAN-CYC", upstreams: ["CYC-A"]))).Is(HttpStatusCode.Created);
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("CYC-C", "PLAN-CYC", upstreams: ["CYC-B"]))).Is(HttpStatusCode.Created);
        var before = await TaskAsync("CYC-A");

        var refused = (await _host.PostAsync(Operator, "/api/tasks/CYC-A/dependencies", new { upstreamId = "CYC-C", reason = "A needs C's output" }))
            .IsProblem(HttpStatusCode.Conflict);

        Assert.Equal("cycle", (string?)refused.Body["code"]);
        Assert.Equal("CYC-A cannot depend on CYC-C: it would close the cycle CYC-C → CYC-A → CYC-B → CYC-C", refused.Detail);
        Assert.Equal(["CYC-C", "CYC-A", "CYC-B", "CYC-C"], refused.Body["cycle"]!.AsArray().Select(n => (string?)n));
        var after = await TaskAsync("CYC-A");
        Assert.Equal(((long)before["version"]!, "[]"), ((long)after["version"]!, after["upstreamIds"]!.ToJsonString()));
        Assert.Equal("[]", (await TaskAsync("CYC-C"))["blockedDownstream"]!["taskIds"]!.ToJsonString());
    }

    [Fact]
    public async Task A_task_that_names_itself_as_upstream_is_refused_at_creation_and_not_created()
    {
        await PlanAsync(_host, "PLAN-SELF");

        var refused = (await _host.PostAsync(Operator, "/api/tasks", NewTask("SELF-1", "PLAN-SELF", upstreams: ["SELF-1"]))).IsProblem(HttpStatusCode.Conflict);

        Assert.Equal("SELF-1 cannot depend on itself: SELF-1 → SELF-1", refused.Detail);
        (await _host.GetAsync(Operator, "/api/tasks/SELF-1")).IsProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_dependency_added_to_a_ready_task_blocks_it_until_the_upstream_seals_then_the_wave_exits()
    {
        await PlanAsync(_host, "PLAN-DEP");
        await ActiveAsync(_host, NewTask("DEP-UP", "PLAN-DEP"), "DEP-UP");
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("DEP-DOWN", "PLAN-DEP", owner: "owner-down"))).Is(HttpStatusCode.Created);
        (await _host.PostAsync(Operator, "/api/tasks/DEP-DOWN/transitions", Transition("ready", "declared"))).Is(HttpStatusCode.OK);

        var added = (await _host.PostAsync(Operator, "/api/tasks/DEP-DOWN/dependencies", new { upstreamId = "DEP-UP", reason = "needs the snapshot" })).Is(HttpStatusCode.OK).Body;
        Assert.Equal(("Blocked", "0 / 1 cleared"), ((string?)added["state"], (string?)added["dependencies"]!["progress"]));
        Assert.Equal("0 / 2 sealed", (string?)(await _host.GetAsync(Auditor, "/api/plans/PLAN-DEP")).Is(HttpStatusCode.OK).Body["waves"]![0]!["exit"]!["progress"]);

        var early = (await _host.PostAsync(Operator, "/api/tasks/DEP-DOWN/complete")).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("DEP-DOWN is Blocked; this needs it to be Active or Held; unlocks when 1 evidence artifact arrives + 1 upstream task seals", early.Detail);
        Assert.Equal(("conflict", "Blocked"), ((string?)early.Body["code"], (string?)early.Body["state"]));
        Assert.Contains(early.Body["conditions"]!.AsArray(), c => (string?)c!["gate"] == "dependency" && (string?)c["subject"] == "DEP-UP");

        var sealedUp = await SealWithExportAsync(_host, "DEP-UP");

        Assert.Equal(["DEP-DOWN"], sealedUp.Body["released"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("Ready", (string?)(await TaskAsync("DEP-DOWN"))["state"]);
        Assert.Contains(await _host.OutboxAsync(), n => n is { Kind: "task.released", Recipient: "owner-down" });
        (await _host.PostAsync(Operator, "/api/tasks/DEP-DOWN/transitions", Transition("start", "go"))).Is(HttpStatusCode.OK);
        await SealWithExportAsync(_host, "DEP-DOWN");
        var plan = (await _host.GetAsync(Operator, "/api/plans/PLAN-DEP")).Body;
        Assert.Equal(("2 / 2 sealed", true), ((string?)plan["waves"]![0]!["exit"]!["progress"], (bool)plan["waves"]![0]!["exit"]!["isClear"]!));
    }

    [Fact]
    public async Task Completing_a_sealed_task_again_changes_nothing()
    {
        await PlanAsync(_host, "PLAN-TWICE");
        await ActiveAsync(_host, NewTask("TWICE-1", "PLAN-TWICE"), "TWICE-1");
        var first = (await SealWithExportAsync(_host, "TWICE-1")).Body;

        var again = (await _host.PostAsync(Operator, "/api/tasks/TWICE-1/complete")).Is(HttpStatusCode.OK).Body;

        Assert.True((bool)again["alreadySealed"]!);
        Assert.Equal(((string?)first["seal"]!["bundleDigest"], (long)first["version"]!), ((string?)again["seal"]!["bundleDigest"], (long)again["version"]!));
    }

    private async Task<JsonObject> TaskAsync(string id) => (await _host.GetAsync(Operator, $"/api/tasks/{id}")).Is(HttpStatusCode.OK).Body;
}
