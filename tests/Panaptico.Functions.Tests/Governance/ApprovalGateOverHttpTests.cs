using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Identity;
using Panaptico.Functions.Governance;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>Segregation of duties, a changed context pack, expiry and a deny, over HTTP: each refused or recorded exactly, nothing else changed.</summary>
public sealed class ApprovalGateOverHttpTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task The_requester_cannot_approve_their_own_task_and_nothing_changes()
    {
        // M. Alvarez both runs and approves; she creates the task, so she may not sign it.
        var requester = new Person("malvarez", "M. Alvarez", Role.Operator, Role.Approver);
        var id = await RoutedTaskAsync("TASK-SOD1", by: requester);
        var before = await TaskAsync(id);

        var refused = (await _host.PostAsync(requester, $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "looks fine", PackHash(before))))
            .IsProblem(HttpStatusCode.Forbidden);

        Assert.Equal("segregation-of-duties", (string?)refused.Body["code"]);
        Assert.Equal($"M. Alvarez requested {id}; the requester cannot approve it", refused.Detail);
        await AssertUnchangedAsync(id, before);
    }

    [Fact]
    public async Task One_person_cannot_fill_two_seats()
    {
        // 12 production systems add the CTO council, which ratifies after two signatures; J. Chen sits in both groups.
        var id = await RoutedTaskAsync("TASK-SOD2", productionSystems: 12);
        var hash = PackHash(await TaskAsync(id));
        (await _host.PostAsync(JChen, $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "policy reviewed", hash))).Is(HttpStatusCode.OK);
        var opened = (await _host.PostAsync(DPark, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("approve", "cost contained", hash))).Is(HttpStatusCode.OK).Body;
        Assert.Equal("Open", (string?)Seat(opened, "wide-blast-radius")["seat"]!["state"]);

        var refused = (await _host.PostAsync(JChen, $"/api/tasks/{id}/approvals/wide-blast-radius", Sign("approve", "ratified", hash)))
            .IsProblem(HttpStatusCode.Forbidden);

        Assert.Equal($"J. Chen already signed seat kms-policy-controls of {id}; one person cannot fill two seats", refused.Detail);
        await AssertUnchangedAsync(id, opened);
    }

    [Fact]
    public async Task Routing_a_seat_to_the_requester_is_refused_and_nothing_is_routed()
    {
        var requester = new Person("dpark", "D. Park", Role.Operator, Role.Approver);
        var id = await ActiveTaskAsync("TASK-SOD3", requester);
        var before = await TaskAsync(id);

        var refused = (await _host.PostAsync(requester, $"/api/tasks/{id}/approvals", KmsRoute())).IsProblem(HttpStatusCode.Forbidden);

        Assert.Equal($"rule domain-cost-owner routes {id} to D. Park, who requested it; the requester cannot approve", refused.Detail);
        await AssertUnchangedAsync(id, before);
        Assert.Null(before["approvals"]);
    }

    [Fact]
    public async Task A_changed_context_pack_invalidates_earlier_signatures_and_a_signature_on_the_old_pack_is_refused()
    {
        var id = await RoutedTaskAsync("TASK-PACK");
        var oldHash = PackHash(await TaskAsync(id));
        (await _host.PostAsync(DPark, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("approve", "cost contained", oldHash))).Is(HttpStatusCode.OK);

        var revised = (await _host.PutAsync(Operator, $"/api/tasks/{id}/context-pack",
            new { contextPack = Pack("14 CMKs, 31 dependent jobs"), reason = "three more dependent jobs found" })).Is(HttpStatusCode.OK).Body;
        var newHash = PackHash(revised);
        Assert.NotEqual(oldHash, newHash);
        Assert.Equal("0 / 2 signed", (string?)revised["approvals"]!["progress"]);
        Assert.Equal("Open", (string?)Seat(revised, "domain-cost-owner")["seat"]!["state"]);

        var stale = (await _host.PostAsync(MAlvarez, $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "reviewed", oldHash)))
            .IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("stale-context", (string?)stale.Body["code"]);
        Assert.Equal(newHash, (string?)stale.Body["contextPackSha256"]);
        await AssertUnchangedAsync(id, revised);

        (await _host.PostAsync(MAlvarez, $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "reviewed the revised pack", newHash))).Is(HttpStatusCode.OK);
        var ledger = await _host.LedgerAsync();
        var invalidated = Assert.Single(ledger, r => r.Subject == id && r.Kind == "approval.signature-invalidated");
        Assert.Equal(("domain-cost-owner", oldHash), ((string?)invalidated.Data!["seat"], (string?)invalidated.Data["signedSha256"]));
        Assert.Equal(newHash, (string?)ledger.Last(r => r.Subject == id && r.Kind == "approval.signed").Data!["contextPackSha256"]);
    }

    [Fact]
    public async Task A_deny_closes_the_task_as_wont_fix_with_the_rationale_on_record()
    {
        var id = await RoutedTaskAsync("TASK-DENY");
        var hash = PackHash(await TaskAsync(id));

        var denied = (await _host.PostAsync(MAlvarez, $"/api/tasks/{id}/approvals/kms-policy-controls",
            Sign("deny", "Rotation breaks the legacy HSM import path.", hash))).Is(HttpStatusCode.OK).Body;

        Assert.Equal("Cancelled", (string?)denied["state"]);
        Assert.Equal(("WontFix", "denied by M. Alvarez (seat kms-policy-controls): Rotation breaks the legacy HSM import path."),
            ((string?)denied["closure"]!["kind"], (string?)denied["closure"]!["reason"]));
        Assert.Equal("Denied", (string?)denied["approvals"]!["state"]);
        var ledger = (await _host.LedgerAsync()).Where(r => r.Subject == id).Select(r => r.Kind).ToList();
        Assert.Equal(["approval.denied", "task.closed-wont-fix"], ledger.TakeLast(2));
        Assert.Contains(await _host.OutboxAsync(), n => n is { Kind: "task.closed", Recipient: "tnguyen" } && n.Subject == $"{id} closed as won't-fix");

        var late = (await _host.PostAsync(DPark, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("approve", "fine by me", hash))).IsProblem(HttpStatusCode.Conflict);
        Assert.StartsWith($"{id} is Cancelled", late.Detail, StringComparison.Ordinal);
        await AssertUnchangedAsync(id, denied);
    }

    [Fact]
    public async Task A_rationale_is_required_to_approve_or_deny()
    {
        var id = await RoutedTaskAsync("TASK-WHY");
        var before = await TaskAsync(id);

        var refused = (await _host.PostAsync(DPark, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("deny", " ", PackHash(before)))).IsProblem(HttpStatusCode.BadRequest);

        Assert.Equal("a rationale is required to approve or deny", refused.Detail);
        await AssertUnchangedAsync(id, before);
    }

    [Fact]
    public async Task An_approval_after_expiry_is_gone_and_the_seats_durable_timer_reroutes_it_to_its_fallback()
    {
        var id = await RoutedTaskAsync("TASK-EXP");
        var before = await TaskAsync(id);
        var hash = PackHash(before);
        var expiresAt = DateTimeOffset.Parse((string)Seat(before, "domain-cost-owner")["seat"]!["expiresAt"]!, CultureInfo.InvariantCulture);

        // Routing scheduled its follow-up, which holds each open seat until its expiry.
        var followUp = await RoutingFollowUpAsync(id);
        Assert.Equal(["domain-cost-owner", "kms-policy-controls"], followUp.Seats.Select(s => s.SeatId).Order(StringComparer.Ordinal));
        Assert.Equal(expiresAt, followUp.Seats.Single(s => s.SeatId == "domain-cost-owner").ExpiresAt);

        _host.Time.Advance(TimeSpan.FromDays(3) + TimeSpan.FromMinutes(1));
        var late = (await _host.PostAsync(DPark, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("approve", "sorry, late", hash))).IsProblem(HttpStatusCode.Gone);
        Assert.Equal("expired", (string?)late.Body["code"]);
        await AssertUnchangedAsync(id, before);

        var holds = await _host.ExpireSeatsAsync(id);

        // Each hold follows its re-routed seat to the new expiry.
        Assert.All(holds, h => Assert.Equal(_host.Time.GetUtcNow() + TimeSpan.FromDays(3), h.ReroutedUntil));
        var rerouted = await TaskAsync(id);
        var seat = Seat(rerouted, "domain-cost-owner")["seat"]!;
        Assert.Equal(("R. Lee", "D. Park"), ((string?)seat["approver"]!["name"], (string?)seat["reroutedFrom"]!["name"]));
        Assert.StartsWith("Owns cost envelope & perf SLO for finance; re-routed to R. Lee after D. Park let it expire", (string?)seat["routedBecause"], StringComparison.Ordinal);
        Assert.Contains((await _host.LedgerAsync()).Where(r => r.Subject == id), r => r.Kind == "approval.rerouted");
        Assert.Contains(await _host.OutboxAsync(), n => n is { Kind: "approval.requested", Recipient: "rlee" });

        // Security Engineering's seat expired too and went to its fallback: M. Alvarez can no longer fill it.
        var oncall = Seat(rerouted, "kms-policy-controls")["seat"]!;
        Assert.Equal("Security on-call", (string?)oncall["approver"]!["name"]);
        var moved = (await _host.PostAsync(MAlvarez, $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "policy reviewed", hash)))
            .IsProblem(HttpStatusCode.Forbidden);
        Assert.Equal("seat kms-policy-controls is routed to Security on-call; M. Alvarez is not its approver", moved.Detail);

        // A timer that fires twice changes nothing more.
        var version = (long)rerouted["version"]!;
        Assert.Empty(await _host.ExpireSeatsAsync(id));
        Assert.Equal(version, (long)(await TaskAsync(id))["version"]!);

        // The fallbacks sign in time.
        (await _host.PostAsync(RLee, $"/api/tasks/{id}/approvals/domain-cost-owner", Sign("approve", "cost contained", hash))).Is(HttpStatusCode.OK);
        (await _host.PostAsync(new Person("skim", "S. Kim", Role.Approver), $"/api/tasks/{id}/approvals/kms-policy-controls", Sign("approve", "on-call reviewed", hash)))
            .Is(HttpStatusCode.OK);
        Assert.Equal("2 / 2 signed", (string?)(await TaskAsync(id))["approvals"]!["progress"]);
    }

    /// <summary>The input of the follow-up the routing write scheduled (the one that holds seats).</summary>
    private async Task<TaskFollowUpInput> RoutingFollowUpAsync(string id)
    {
        await foreach (var instance in _host.App.Durable.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = $"task-{id}-v", FetchInputsAndOutputs = true }))
        {
            if (instance.ReadInputAs<TaskFollowUpInput>() is { Seats.IsDefaultOrEmpty: false } input)
            {
                return input;
            }
        }

        throw new InvalidOperationException($"no follow-up of {id} holds a seat");
    }

    private async Task<string> ActiveTaskAsync(string id, Person? by = null)
    {
        var plan = "PLAN-" + id;
        (await _host.PostAsync(by ?? Operator, "/api/plans", Plan(plan))).Is(HttpStatusCode.Created);
        await ActiveAsync(_host, NewTask(id, plan), id, by);
        return id;
    }

    private async Task<string> RoutedTaskAsync(string id, Person? by = null, int productionSystems = 6)
    {
        await ActiveTaskAsync(id, by);
        (await _host.PostAsync(by ?? Operator, $"/api/tasks/{id}/approvals", KmsRoute(productionSystems))).Is(HttpStatusCode.OK);
        return id;
    }

    private async Task<JsonObject> TaskAsync(string id) => (await _host.GetAsync(Operator, $"/api/tasks/{id}")).Is(HttpStatusCode.OK).Body;

    private static string PackHash(JsonObject task) => (string)task["approvals"]!["contextPackHash"]!;

    private static JsonObject Seat(JsonObject task, string seatId) =>
        task["approvals"]!["seats"]!.AsArray().Select(s => s!.AsObject()).Single(s => (string?)s["seat"]!["id"] == seatId);

    private static string? Seats(JsonObject task) =>
        task["approvals"]?["seats"] is JsonArray seats
            ? string.Join('|', seats.Select(s => $"{s!["seat"]!.ToJsonString()} {s["signature"]?.ToJsonString()}"))
            : null;

    /// <summary>Re-reads the task: same version, same state, same gates, as before the refusal.</summary>
    private async Task AssertUnchangedAsync(string id, JsonObject before)
    {
        var after = await TaskAsync(id);
        Assert.Equal((long)before["version"]!, (long)after["version"]!);
        Assert.Equal((string?)before["state"], (string?)after["state"]);
        // Seats and signatures as stored (a seat's status text reads the clock, so it is left out).
        Assert.Equal(Seats(before), Seats(after));
        Assert.Equal(before["artifacts"]!.ToJsonString(), after["artifacts"]!.ToJsonString());
    }
}
