using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Functions.Platform;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>
/// Runbook steps over HTTP: the live state a connector pulled, each item's pass or fail, and a step's live check run
/// by Panaptico itself (the <c>RunbookLiveCheck</c> orchestration).
/// </summary>
public sealed class RunbookFunctions(GovernedExecution execution, TaskRepository tasks, LiveChecks checks, GovernanceOptions options, TimeProvider time)
{
    [Function("RecordLiveState")]
    public async Task<IResult> RecordLiveStateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "tasks/{taskId}/runbook/steps/{step:int}/live-state")] HttpRequest request,
        string taskId,
        string step,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        if (Step(step) is not { } number)
        {
            return NoStep(step);
        }

        var (body, problem) = await RequestBody.ReadAsync<LiveStateBody>(request, BodyLimits.Definition, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = request.HttpContext.Caller();
        var items = body.ToItems();
        var pulled = await execution.UpdateAsync(taskId,
            (record, now) => RunbookRun.RecordLiveState(record, number, body.Connector, items, caller.Id, body.PulledAt ?? now), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, pulled, cancellationToken);
    }

    [Function("RecordRunbookOutcome")]
    public async Task<IResult> RecordRunbookOutcomeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/runbook/steps/{step:int}/outcomes")] HttpRequest request,
        string taskId,
        string step,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        if (Step(step) is not { } number)
        {
            return NoStep(step);
        }

        var (body, problem) = await RequestBody.ReadAsync<OutcomeBody>(request, BodyLimits.Decision, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var recorded = await execution.RecordOutcomeAsync(taskId, number, body.ItemId, body.Result, body.Note, request.HttpContext.Caller(), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, recorded, cancellationToken);
    }

    /// <summary>
    /// Runs the step's live check: its connector reads the items in scope, and each is recorded Pass/Fail by the check
    /// (with the caller as the person who ran it); a Fail opens a sub-task. Answers the task once recorded, or 202 with
    /// the orchestration's id while it still runs after <c>Governance:LiveCheckWait</c>.
    /// </summary>
    [Function("RunLiveCheck")]
    public async Task<IResult> RunLiveCheckAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/runbook/steps/{step:int}/checks")] HttpRequest request,
        string taskId,
        string step,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        if (Step(step) is not { } number)
        {
            return NoStep(step);
        }

        if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
        {
            return Problems.Problem(GovernedExecution.NoTask(taskId));
        }

        if (RunbookRun.CanRunLiveCheck(stored.Record, number) is { } refusal)
        {
            return Problems.Problem(refusal);
        }

        var declared = stored.Record.Runbook!.Steps[number - 1].LiveCheck!;
        if (checks.Find(declared.Kind) is null)
        {
            return Problems.Unavailable("Live check not configured", $"this app has no connector for '{declared.Kind}' any more; configure it and run the check again");
        }

        var caller = request.HttpContext.Caller();
        var id = LiveCheckRuns.InstanceId(taskId, number);
        await client.ScheduleOnceAsync(nameof(LiveCheckRuns.RunbookLiveCheck), id,
            () => new LiveCheckInput(taskId, number, declared.Kind, declared.Scope, caller.Id, caller.Name, [.. caller.Roles]),
            instance => instance.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated), cancellationToken);

        using var timeout = new CancellationTokenSource(options.LiveCheckWait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        OrchestrationMetadata done;
        try
        {
            done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Results.Json(new JsonObject { ["task"] = taskId, ["step"] = number, ["instanceId"] = id, ["status"] = "Running" },
                GovernanceJsonViews.Options, statusCode: StatusCodes.Status202Accepted);
        }

        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed || done.ReadOutputAs<LiveCheckOutcome>() is not { } outcome)
        {
            return Problems.Unavailable("Live check failed",
                $"the {declared.Kind} check of {taskId} step {number} did not complete ({done.RuntimeStatus}): {done.FailureDetails?.ErrorMessage}; nothing was recorded, run it again");
        }

        if (outcome.Refused is { } why)
        {
            return Problems.Conflict(why);
        }

        return await TaskReplies.TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken);
    }

    /// <summary>The route constraint makes it an int; a host that does not apply constraints gets a 404 like routing would.</summary>
    private static int? Step(string step) =>
        int.TryParse(step, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static IResult NoStep(string step) => Problems.NotFound($"'{step}' is not a runbook step number");
}
