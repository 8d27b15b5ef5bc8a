using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Functions.Governance;
using Panaptico.Testing.Kms;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>
/// TASK-0412's runbook step "Verify rotation flag on each CMK" as a live check: the app reads the 14 finance CMKs
/// from the KMS fake (13 with rotation on, 2e19 off) through the <c>RunbookLiveCheck</c> orchestration and records
/// each key's Pass/Fail as the check; the Fail opens a sub-task the parent waits on.
/// </summary>
public sealed class RunbookLiveCheckOverHttpTests : IAsyncLifetime
{
    private readonly KmsFake _kms = KmsFake.Finance(disabled: "2e19");
    private GovernanceHost _host = null!;

    public async Task InitializeAsync() => _host = await StartAsync(new Dictionary<string, string?>
    {
        ["Kms:Region"] = _kms.Region,
        ["Kms:AccountId"] = _kms.AccountId,
        ["Kms:ServiceUrl"] = _kms.Url,
        ["Kms:AccessKeyId"] = "AKIDEXAMPLE",
        ["Kms:SecretAccessKey"] = "fake-secret",
        ["Kms:Tags:domain"] = "finance",
        ["Kms:PageSize"] = "5",
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _kms.Dispose();
    }

    [Fact]
    public async Task The_rotation_check_records_13_pass_and_1_fail_as_the_check_and_the_fail_opens_a_sub_task()
    {
        await PlanAsync(_host, "PLAN-0491");
        await ActiveAsync(_host, RotationTask("TASK-0412", new Dictionary<string, string> { ["aliasPrefix"] = "alias/finance/" }), "TASK-0412");

        // Steps run in order: the check waits for step 1.
        var early = (await _host.PostAsync(Operator, "/api/tasks/TASK-0412/runbook/steps/2/checks")).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal("steps run in order; step 1 (Confirm the change window) is not fully recorded yet", early.Detail);
        Assert.Empty(_kms.Calls);
        (await _host.PostAsync(Operator, "/api/tasks/TASK-0412/runbook/steps/1/outcomes", new { itemId = "step", result = "Pass" })).Is(HttpStatusCode.OK);
        (await _host.PostAsync(DPark, "/api/tasks/TASK-0412/runbook/steps/2/checks")).IsProblem(HttpStatusCode.Forbidden);

        var task = (await _host.PostAsync(Operator, "/api/tasks/TASK-0412/runbook/steps/2/checks")).Is(HttpStatusCode.OK).Body;

        var step = task["runbook"]!["steps"]![1]!;
        Assert.Equal(("13 pass / 1 fail", 14, "aws-kms"), ((string?)step["tally"], (int)step["items"]!, (string?)step["pull"]!["connector"]));
        var outcomes = task["runbookOutcomes"]!.AsArray().Where(o => (int)o!["stepNumber"]! == 2).ToList();
        Assert.Equal(14, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(("check:kms.rotation", "op.rivera"), ((string?)o!["actor"], (string?)o["requestedBy"])));
        var disabledArn = _kms.Keys.Single(k => k.KeyId.StartsWith("2e19", StringComparison.Ordinal)).Arn;
        var fail = Assert.Single(outcomes, o => (string?)o!["result"] == "Fail")!;
        Assert.Equal((disabledArn, "TASK-0412-S2-1"), ((string?)fail["itemId"], (string?)fail["subTaskId"]));
        Assert.Equal("period missing, expected '365d'; rotation is 'disabled', expected 'enabled'", (string?)fail["note"]);
        Assert.Equal("disabled", (string?)fail["observed"]!["rotation"]);
        Assert.All(outcomes.Where(o => o != fail), o => Assert.Equal(("Pass", "enabled", "365d"), ((string?)o!["result"], (string?)o["observed"]!["rotation"], (string?)o["observed"]!["period"])));
        Assert.Equal(["TASK-0412-S2-1"], task["pendingUpstreamIds"]!.AsArray().Select(n => (string?)n));

        // The sub-task: owned by the step's owner, Ready, linked to the key that failed.
        var sub = (await _host.GetAsync(Operator, "/api/tasks/TASK-0412-S2-1")).Is(HttpStatusCode.OK).Body;
        Assert.Equal(("Ready", "malvarez", "TASK-0412", disabledArn), ((string?)sub["state"], (string?)sub["ownerId"], (string?)sub["parent"]!["taskId"], (string?)sub["parent"]!["itemId"]));
        Assert.Contains(await _host.OutboxAsync(), n => n is { Kind: "task.opened", Recipient: "malvarez" });

        // The ledger: one pull and 14 items recorded by the check, with who ran it.
        var ledger = (await _host.LedgerAsync()).Where(r => r.Subject == "TASK-0412").ToList();
        var pulled = Assert.Single(ledger, r => r.Kind == "runbook.live-state-pulled");
        Assert.Equal(("check:kms.rotation", "op.rivera", "kms.rotation"), (pulled.Actor, (string?)pulled.Data!["requestedBy"], (string?)pulled.Data["check"]));
        var items = ledger.Where(r => r.Kind == "runbook.item-recorded" && (int)r.Data!["step"]! == 2).ToList();
        Assert.Equal(14, items.Count);
        Assert.All(items, r => Assert.Equal("check:kms.rotation", r.Actor));

        // Reads only: KMS saw no write, and every request was a well-formed, signed KMS call.
        Assert.Equal(0, _kms.CallsOf("EnableKeyRotation"));
        Assert.Empty(_kms.Refused);
        Assert.Equal(4, _kms.CallsOf("ListKeys"));

        // Asked again: refused, nothing pulled or recorded twice.
        var calls = _kms.Calls.Count;
        var again = (await _host.PostAsync(Operator, "/api/tasks/TASK-0412/runbook/steps/2/checks")).IsProblem(HttpStatusCode.Conflict);
        Assert.StartsWith("step 2's kms.rotation check was recorded by check:kms.rotation at ", again.Detail, StringComparison.Ordinal);
        Assert.Equal(calls, _kms.Calls.Count);
    }

    [Fact]
    public async Task Recording_the_same_pull_again_as_a_re_run_activity_would_writes_nothing_twice()
    {
        await PlanAsync(_host, "PLAN-RERUN");
        await ActiveAsync(_host, RotationTask("RR-0412", new Dictionary<string, string> { ["tag:domain"] = "finance" }, plan: "PLAN-RERUN", withManualStep: false), "RR-0412");
        var runs = ActivatorUtilities.CreateInstance<LiveCheckRuns>(_host.App.Services);
        var input = new LiveCheckInput("RR-0412", 1, "kms.rotation", new Dictionary<string, string> { ["tag:domain"] = "finance" }, "op.rivera", "P. Rivera", ["operator"]);

        var pulled = await runs.PullLiveCheck(input);
        var first = await runs.RecordLiveCheck(new LiveCheckRecordInput(input, pulled));
        var ledgerAfterFirst = (await _host.LedgerAsync()).Count;
        var second = await runs.RecordLiveCheck(new LiveCheckRecordInput(input, pulled));

        Assert.Equal((14, 13, 1, null), (first.Items, first.Passed, first.Failed, first.Refused));
        Assert.Equal(first.SubTasks, second.SubTasks);
        Assert.Equal((14, 13, 1), (second.Items, second.Passed, second.Failed));
        Assert.Equal(ledgerAfterFirst, (await _host.LedgerAsync()).Count);
        var task = (await _host.GetAsync(Operator, "/api/tasks/RR-0412")).Body;
        Assert.Equal(["RR-0412-S1-1"], task["pendingUpstreamIds"]!.AsArray().Select(n => (string?)n));
    }

    [Fact]
    public async Task A_task_declaring_an_unknown_check_or_a_scope_it_cannot_read_is_refused_at_creation()
    {
        await PlanAsync(_host, "PLAN-BAD");
        var unknown = (await _host.PostAsync(Operator, "/api/tasks", RotationTask("BAD-1", [], plan: "PLAN-BAD", kind: "kms.policy"))).IsProblem(HttpStatusCode.BadRequest);
        Assert.Equal("runbook step 2: live check 'kms.policy' cannot run: known kinds: kms.rotation", unknown.Detail);

        var badScope = (await _host.PostAsync(Operator, "/api/tasks", RotationTask("BAD-2", new Dictionary<string, string> { ["region"] = "eu-west-1" }, plan: "PLAN-BAD"))).IsProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith("runbook step 2: kms.rotation scope: 'region' is not a KMS scope", badScope.Detail, StringComparison.Ordinal);
        (await _host.GetAsync(Operator, "/api/tasks/BAD-2")).IsProblem(HttpStatusCode.NotFound);
    }

    private static object RotationTask(string id, Dictionary<string, string> scope, string plan = "PLAN-0491", string kind = "kms.rotation", bool withManualStep = true)
    {
        var check = new
        {
            number = withManualStep ? 2 : 1,
            title = "Verify rotation flag on each CMK",
            instruction = "For each of the 14 CMKs in the finance scope, confirm rotation = enabled with period 365d.",
            check = "kms:GetKeyRotationStatus on each CMK in scope",
            expectedText = "rotation enabled, period 365d",
            expected = new Dictionary<string, string> { ["rotation"] = "enabled", ["period"] = "365d" },
            ownerId = "malvarez",
            liveCheck = new { kind, scope },
        };
        var manual = new
        {
            number = 1,
            title = "Confirm the change window",
            instruction = "Confirm the rotation window with the finance on-call.",
            check = "change calendar",
            expectedText = "window confirmed",
        };
        return new
        {
            id,
            planId = plan,
            waveId = "W1",
            title = "Enforce KMS auto-rotation · 14 finance-domain CMKs",
            ownerId = "tnguyen",
            requirements = new[] { Export },
            runbook = withManualStep ? new object[] { manual, check } : [check],
        };
    }
}
