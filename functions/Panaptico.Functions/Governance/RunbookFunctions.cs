using System.Globalization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;

namespace Panaptico.Functions.Governance;

/// <summary>Runbook steps over HTTP: the live state a connector pulled, and each item's pass or fail.</summary>
public sealed class RunbookFunctions(GovernedExecution execution)
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

    /// <summary>The route constraint makes it an int; a host that does not apply constraints gets a 404 like routing would.</summary>
    private static int? Step(string step) =>
        int.TryParse(step, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static IResult NoStep(string step) => Problems.NotFound($"'{step}' is not a runbook step number");
}
