using System.Net;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

public sealed class RunbookOverHttpTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private readonly GovernanceHost _host = fixture.Host;

    [Fact]
    public async Task Live_state_is_recorded_item_by_item_and_a_fail_opens_a_sub_task_the_parent_waits_on()
    {
        await PlanAsync(_host, "PLAN-RB");
        var task = new
        {
            id = "RB-0412",
            planId = "PLAN-RB",
            waveId = "W1",
            title = "Verify rotation on each CMK",
            ownerId = "tnguyen",
            requirements = new[] { Export },
            runbook = new[]
            {
                new
                {
                    number = 1,
                    title = "Verify rotation flag on each CMK",
                    instruction = "For each CMK in scope confirm rotation = enabled with period 365d.",
                    check = "kms:GetKeyRotationStatus",
                    expectedText = "rotation enabled, period 365d",
                    expected = new Dictionary<string, string> { ["rotation"] = "enabled", ["period"] = "365d" },
                    connector = "aws-kms",
                    ownerId = "malvarez",
                },
            },
        };
        await ActiveAsync(_host, task, "RB-0412");

        var pulled = (await _host.PutAsync(Operator, "/api/tasks/RB-0412/runbook/steps/1/live-state", new
        {
            connector = "aws-kms",
            items = new[]
            {
                new { itemId = "arn:aws:kms:us-east-1:412:key/4a12", observed = new Dictionary<string, string> { ["rotation"] = "enabled", ["period"] = "365d" } },
                new { itemId = "arn:aws:kms:us-east-1:412:key/2e19", observed = new Dictionary<string, string> { ["rotation"] = "disabled", ["period"] = "365d" } },
            },
        })).Is(HttpStatusCode.OK).Body;
        Assert.Equal("step 1 of 1", (string?)pulled["runbook"]!["progress"]);

        (await _host.PostAsync(Operator, "/api/tasks/RB-0412/runbook/steps/1/outcomes", new { itemId = "arn:aws:kms:us-east-1:412:key/4a12", result = "Pass" })).Is(HttpStatusCode.OK);
        (await _host.PostAsync(Operator, "/api/tasks/RB-0412/runbook/steps/1/outcomes", new { itemId = "arn:aws:kms:us-east-1:412:key/2e19", result = "Fail" }))
            .IsProblem(HttpStatusCode.BadRequest);
        var failed = (await _host.PostAsync(Operator, "/api/tasks/RB-0412/runbook/steps/1/outcomes",
            new { itemId = "arn:aws:kms:us-east-1:412:key/2e19", result = "Fail", note = "rotation disabled" })).Is(HttpStatusCode.OK).Body;

        Assert.Equal("1 pass / 1 fail", (string?)failed["runbook"]!["steps"]![0]!["tally"]);
        Assert.Equal(["RB-0412-S1-1"], failed["pendingUpstreamIds"]!.AsArray().Select(n => (string?)n));
        var sub = (await _host.GetAsync(Operator, "/api/tasks/RB-0412-S1-1")).Is(HttpStatusCode.OK).Body;
        Assert.Equal(("Ready", "malvarez", "RB-0412"), ((string?)sub["state"], (string?)sub["ownerId"], (string?)sub["parent"]!["taskId"]));
        Assert.Contains(await _host.OutboxAsync(), n => n is { Kind: "task.opened", Recipient: "malvarez" });
        Assert.Contains((await _host.LedgerAsync()).Where(r => r.Subject == "RB-0412"), r => r.Kind == "runbook.item-recorded" && (string?)r.Data!["result"] == "Fail");

        // The parent cannot seal before its sub-task; once the fix is sealed, only its evidence is left.
        (await _host.UploadAsync(Operator, "RB-0412", "export", "export.json", "{}"u8.ToArray(), "application/json")).Is(HttpStatusCode.Created);
        var locked = (await _host.PostAsync(Operator, "/api/tasks/RB-0412/complete")).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("unlocks when 1 upstream task seals", locked.Detail);
        (await _host.PostAsync(Operator, "/api/tasks/RB-0412-S1-1/transitions", Transition("start", "fixing the key"))).Is(HttpStatusCode.OK);
        (await _host.UploadAsync(Operator, "RB-0412-S1-1", "fix-evidence", "key-2e19.json", "{\"rotation\":\"enabled\"}"u8.ToArray(), "application/json")).Is(HttpStatusCode.Created);
        (await _host.PostAsync(Operator, "/api/tasks/RB-0412-S1-1/complete")).Is(HttpStatusCode.OK);
        var parent = (await _host.PostAsync(Operator, "/api/tasks/RB-0412/complete")).Is(HttpStatusCode.OK).Body;
        Assert.Equal("Sealed", (string?)parent["state"]);
    }
}
