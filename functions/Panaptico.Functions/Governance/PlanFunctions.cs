using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;

namespace Panaptico.Functions.Governance;

/// <summary>Plans and their waves: operators create them; every role reads the waves' exit gates.</summary>
public sealed class PlanFunctions(GovernedExecution execution)
{
    [Function("CreatePlan")]
    public async Task<IResult> CreatePlanAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "plans")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<CreatePlanBody>(request, BodyLimits.Definition, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var plan = await execution.CreatePlanAsync(body.Id, body.Title, [.. body.Waves.Select(w => new Wave(w.Id, w.Number, w.Title))], request.HttpContext.Caller(), cancellationToken);
        if (!plan.IsAccepted)
        {
            return Problems.Problem(plan.Refusal);
        }

        var page = await execution.GetPlanAsync(plan.Value.Id, cancellationToken);
        return Results.Json(GovernanceJsonViews.Plan(page.Value!), GovernanceJsonViews.Options, statusCode: StatusCodes.Status201Created);
    }

    [Function("GetPlan")]
    public async Task<IResult> GetPlanAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "plans/{planId}")] HttpRequest request,
        string planId,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }

        var page = await execution.GetPlanAsync(planId, cancellationToken);
        return page.IsAccepted
            ? Results.Json(GovernanceJsonViews.Plan(page.Value), GovernanceJsonViews.Options)
            : Problems.Problem(page.Refusal);
    }
}
