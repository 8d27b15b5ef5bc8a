using System.Net;
using System.Text.Json.Nodes;
using static Panaptico.Functions.Tests.Governance.Bodies;
using static Panaptico.Functions.Tests.Governance.GovernanceHost;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>Input the API cannot act on is answered 400/401/403/404/415 as application/problem+json, and changes nothing.</summary>
public sealed class BadInputOverHttpTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>, IAsyncLifetime
{
    private const string TaskId = "BAD-1";
    private readonly GovernanceHost _host = fixture.Host;
    private JsonObject _before = null!;

    public async Task InitializeAsync()
    {
        if ((await _host.GetAsync(Operator, $"/api/tasks/{TaskId}")).Status == HttpStatusCode.NotFound)
        {
            await PlanAsync(_host, "PLAN-BAD");
            (await _host.PostAsync(Operator, "/api/tasks", NewTask(TaskId, "PLAN-BAD"))).Is(HttpStatusCode.Created);
        }

        _before = await TaskAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Malformed_json_is_400_naming_where_it_broke()
    {
        var refused = (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", "{\"action\": \"ready\", \"reason\": ")).IsProblem(HttpStatusCode.BadRequest);

        Assert.Equal("Malformed request body", (string?)refused.Body["title"]);
        Assert.Contains("Path: $.reason", refused.Detail, StringComparison.Ordinal);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_missing_field_is_400_naming_it()
    {
        var refused = (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", new { action = "ready" })).IsProblem(HttpStatusCode.BadRequest);

        Assert.Contains("'reason'", refused.Detail, StringComparison.Ordinal);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_null_where_a_value_is_required_an_unknown_field_or_an_unknown_action_is_400()
    {
        (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", "{\"action\":\"ready\",\"reason\":null}")).IsProblem(HttpStatusCode.BadRequest);
        var unknown = (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", new { action = "ready", reason = "x", why = "typo" })).IsProblem(HttpStatusCode.BadRequest);
        Assert.Contains("why", unknown.Detail, StringComparison.Ordinal);
        (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", new { action = "teleport", reason = "x" })).IsProblem(HttpStatusCode.BadRequest);
        (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", "{\"action\":3,\"reason\":\"x\"}")).IsProblem(HttpStatusCode.BadRequest);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_blank_reason_is_refused_by_the_domain_as_400()
    {
        var refused = (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/transitions", Transition("ready", "  "))).IsProblem(HttpStatusCode.BadRequest);

        Assert.Equal("a reason is required for every transition", refused.Detail);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_415()
    {
        using var content = new StringContent("action=ready", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        var response = await _host.Client(Operator).PostAsync($"/api/tasks/{TaskId}/transitions", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task An_unknown_task_or_plan_is_404()
    {
        (await _host.GetAsync(Operator, "/api/tasks/TASK-9999")).IsProblem(HttpStatusCode.NotFound);
        var transition = (await _host.PostAsync(Operator, "/api/tasks/TASK-9999/transitions", Transition("ready", "x"))).IsProblem(HttpStatusCode.NotFound);
        Assert.Equal("task TASK-9999 does not exist", transition.Detail);
        (await _host.PostAsync(Operator, "/api/tasks/TASK-9999/complete")).IsProblem(HttpStatusCode.NotFound);
        (await _host.GetAsync(Operator, "/api/plans/PLAN-9999")).IsProblem(HttpStatusCode.NotFound);
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("BAD-2", "PLAN-9999"))).IsProblem(HttpStatusCode.NotFound);
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("BAD-3", "PLAN-BAD", upstreams: ["TASK-9999"]))).IsProblem(HttpStatusCode.NotFound);
        (await _host.GetAsync(Operator, "/api/tasks/BAD-3")).IsProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_wrong_role_is_403_and_changes_nothing()
    {
        (await _host.PostAsync(DPark, $"/api/tasks/{TaskId}/transitions", Transition("ready", "approver tries to run"))).IsProblem(HttpStatusCode.Forbidden);
        (await _host.PostAsync(Auditor, "/api/tasks", NewTask("BAD-4", "PLAN-BAD"))).IsProblem(HttpStatusCode.Forbidden);
        (await _host.PostAsync(Operator, $"/api/tasks/{TaskId}/approvals/domain-cost-owner", Sign("approve", "operator tries to sign", new string('0', 64))))
            .IsProblem(HttpStatusCode.Forbidden);
        (await _host.GetAsync(new Person("nobody", "No Role"), $"/api/tasks/{TaskId}")).IsProblem(HttpStatusCode.Forbidden);
        (await _host.GetAsync(Operator, "/api/tasks/BAD-4")).IsProblem(HttpStatusCode.NotFound);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task An_anonymous_call_is_401()
    {
        (await _host.GetAsync(null, $"/api/tasks/{TaskId}")).IsProblem(HttpStatusCode.Unauthorized);
        (await _host.PostAsync(null, $"/api/tasks/{TaskId}/transitions", Transition("ready", "anonymous"))).IsProblem(HttpStatusCode.Unauthorized);
        (await _host.PostAsync(null, "/api/plans", Plan("PLAN-ANON"))).IsProblem(HttpStatusCode.Unauthorized);
        await AssertUnchangedAsync();
    }

    [Fact]
    public async Task A_task_or_plan_that_exists_is_409_and_an_id_that_cannot_be_stored_is_400()
    {
        (await _host.PostAsync(Operator, "/api/plans", Plan("PLAN-BAD"))).IsProblem(HttpStatusCode.Conflict);
        var duplicate = (await _host.PostAsync(Operator, "/api/tasks", NewTask(TaskId, "PLAN-BAD", title: "another"))).IsProblem(HttpStatusCode.Conflict);
        Assert.Equal($"task {TaskId} already exists", duplicate.Detail);
        (await _host.PostAsync(Operator, "/api/tasks", NewTask("BAD/5", "PLAN-BAD"))).IsProblem(HttpStatusCode.BadRequest);
        var window = (await _host.PostAsync(Operator, "/api/tasks", NewTask("BAD-6", "PLAN-BAD", requirements:
            [new { id = "t", title = "Telemetry", kind = "TelemetryWindow", window = new { duration = "two days", metric = "m", maxValue = 1, maxSampleGap = "PT1H" } }])))
            .IsProblem(HttpStatusCode.BadRequest);
        Assert.Contains("'two days' is not an ISO 8601 duration", window.Detail, StringComparison.Ordinal);
        Assert.NotEqual("another", (string?)(await TaskAsync())["title"]);
        await AssertUnchangedAsync();
    }

    private async Task<JsonObject> TaskAsync() => (await _host.GetAsync(Operator, $"/api/tasks/{TaskId}")).Is(HttpStatusCode.OK).Body;

    private async Task AssertUnchangedAsync()
    {
        var after = await TaskAsync();
        Assert.Equal(((long)_before["version"]!, "Draft"), ((long)after["version"]!, (string?)after["state"]));
    }
}
