using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Functions.Teams;

namespace Panaptico.Functions.Governance;

/// <summary>
/// The approval gate of a task over HTTP: operators route it from the rules and revise its context pack, approvers
/// sign. Each seat a write opens is held by a durable timer until its expiry (<see cref="GateHolds.GateHold"/>).
/// </summary>
public sealed class ApprovalFunctions(GovernedExecution execution, ApprovalRulesSource rules, DirectoryRouting directory)
{
    [Function("RouteApprovals")]
    public async Task<IResult> RouteApprovalsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/approvals")] HttpRequest request,
        string taskId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<RouteBody>(request, BodyLimits.Definition, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        ApprovalRules current;
        try
        {
            current = await directory.ResolveAsync(rules.Rules, cancellationToken);
        }
        catch (ApprovalRulesUnavailableException e)
        {
            return Problems.Unavailable("Approval rules unavailable", e.Message);
        }
        catch (Microsoft.Kiota.Abstractions.ApiException e)
        {
            return Problems.Unavailable("Directory unavailable", $"the directory groups of the approval rules could not be read: Graph answered {e.ResponseStatusCode}");
        }

        var caller = request.HttpContext.Caller();
        var attributes = body.Attributes.ToAttributes();
        var pack = body.ContextPack.ToContextPack();
        var routed = await execution.UpdateAsync(taskId, (record, now) => TaskApprovals.Route(record, current, attributes, pack, caller, now), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, routed, cancellationToken);
    }

    [Function("SignApproval")]
    public async Task<IResult> SignApprovalAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/approvals/{seatId}")] HttpRequest request,
        string taskId,
        string seatId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Approver) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<SignBody>(request, BodyLimits.Decision, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var approver = request.HttpContext.Caller();
        var signed = await execution.UpdateAsync(taskId, (record, now) => body.Verdict == Verdict.Approve
            ? TaskApprovals.Approve(record, approver, seatId, body.Rationale, body.ContextPackSha256, now)
            : TaskApprovals.Deny(record, approver, seatId, body.Rationale, body.ContextPackSha256, now), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, signed, cancellationToken);
    }

    [Function("ReviseContextPack")]
    public async Task<IResult> ReviseContextPackAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "tasks/{taskId}/context-pack")] HttpRequest request,
        string taskId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<ReviseContextPackBody>(request, BodyLimits.Definition, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = request.HttpContext.Caller();
        var pack = body.ContextPack.ToContextPack();
        var revised = await execution.UpdateAsync(taskId, (record, now) => TaskApprovals.ReviseContextPack(record, pack, caller, body.Reason, now), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, revised, cancellationToken);
    }
}
