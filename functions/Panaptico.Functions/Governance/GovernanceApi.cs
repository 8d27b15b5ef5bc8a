using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Hosting;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>
/// Governed execution over HTTP: operators create plans and tasks and run them, approvers sign, auditors read and
/// export sealed bundles. Every refusal is application/problem+json and changes nothing.
/// </summary>
public static class GovernanceApi
{
    public static void MapGovernanceApi(this IEndpointRouteBuilder app)
    {
        app.MapHttpFunction("CreatePlan", CreatePlanAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("GetPlan", GetPlanAsync).RequireAuthorization(ReadPolicy);
        app.MapHttpFunction("CreateTask", CreateTaskAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("GetTask", GetTaskAsync).RequireAuthorization(ReadPolicy);
        app.MapHttpFunction("TransitionTask", TransitionAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("AddDependency", AddDependencyAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("RouteApprovals", RouteApprovalsAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("SignApproval", SignAsync).RequireAuthorization(Role.Approver);
        app.MapHttpFunction("ReviseContextPack", ReviseContextPackAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("UploadEvidence", EvidenceApi.UploadAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("StartTelemetryWindow", StartTelemetryWindowAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("RecordLiveState", RecordLiveStateAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("RecordRunbookOutcome", RecordOutcomeAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("CompleteTask", CompleteAsync).RequireAuthorization(Role.Operator);
        app.MapHttpFunction("GetTaskBundle", GetBundleAsync).RequireAuthorization(Role.Auditor);
    }

    /// <summary>Reading is for every role: operators run, approvers review, auditors audit.</summary>
    private static void ReadPolicy(Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder policy) =>
        policy.RequireAuthenticatedUser().RequireAssertion(context =>
            new[] { Role.Operator, Role.Approver, Role.Auditor, Role.Admin }.Any(context.User.IsInRole));

    private static async Task<IResult> CreatePlanAsync(HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<CreatePlanBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var plan = await execution.CreatePlanAsync(body.Id, body.Title, [.. body.Waves.Select(w => new Wave(w.Id, w.Number, w.Title))], context.Caller(), cancellationToken);
        if (!plan.IsAccepted)
        {
            return GovernanceProblems.Problem(plan.Refusal);
        }

        var page = await execution.GetPlanAsync(plan.Value.Id, cancellationToken);
        return Results.Json(GovernanceJsonViews.Plan(page.Value!), GovernanceJsonViews.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> GetPlanAsync(string planId, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var page = await execution.GetPlanAsync(planId, cancellationToken);
        return page.IsAccepted
            ? Results.Json(GovernanceJsonViews.Plan(page.Value), GovernanceJsonViews.Options)
            : GovernanceProblems.Problem(page.Refusal);
    }

    private static async Task<IResult> CreateTaskAsync(HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<CreateTaskBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var created = await execution.CreateTaskAsync(body.ToNewTask(), context.Caller(), cancellationToken);
        return created.IsAccepted
            ? await TaskAsync(execution, created.Value.Record.Id, StatusCodes.Status201Created, cancellationToken)
            : GovernanceProblems.Problem(created.Refusal);
    }

    private static Task<IResult> GetTaskAsync(string taskId, GovernedExecution execution, CancellationToken cancellationToken) =>
        TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken);

    private static async Task<IResult> TransitionAsync(string taskId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<TransitionBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = context.Caller();
        Func<TaskRecord, DateTimeOffset, Decision<TaskRecord>> decide = body.Action switch
        {
            TaskAction.Ready => (record, now) => TaskLifecycle.MarkReady(record, caller, body.Reason, now),
            TaskAction.Start => (record, now) => TaskLifecycle.Start(record, caller, body.Reason, now),
            TaskAction.Hold => (record, now) => TaskLifecycle.Hold(record, caller, body.Reason, now),
            TaskAction.Resume => (record, now) => TaskLifecycle.Resume(record, caller, body.Reason, now),
            TaskAction.Cancel => (record, now) => TaskLifecycle.Cancel(record, caller, body.Reason, now),
            _ => throw new UnreachableException($"action {body.Action}"),
        };
        return await UpdatedAsync(execution, taskId, await execution.UpdateAsync(taskId, decide, cancellationToken), cancellationToken);
    }

    private static async Task<IResult> AddDependencyAsync(string taskId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<DependencyBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var added = await execution.AddDependencyAsync(taskId, body.UpstreamId, body.Reason, context.Caller(), cancellationToken);
        return added.IsAccepted
            ? await TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken)
            : GovernanceProblems.Problem(added.Refusal);
    }

    private static async Task<IResult> RouteApprovalsAsync(
        string taskId, HttpContext context, GovernedExecution execution, ApprovalRulesSource rules, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<RouteBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        Core.Governance.Approvals.ApprovalRules current;
        try
        {
            current = rules.Rules;
        }
        catch (ApprovalRulesUnavailableException e)
        {
            return GovernanceProblems.Problem(StatusCodes.Status500InternalServerError, "Approval rules unavailable", e.Message);
        }

        var caller = context.Caller();
        var attributes = body.Attributes.ToAttributes();
        var pack = body.ContextPack.ToContextPack();
        var routed = await execution.UpdateAsync(taskId, (record, now) => TaskApprovals.Route(record, current, attributes, pack, caller, now), cancellationToken);
        return await UpdatedAsync(execution, taskId, routed, cancellationToken);
    }

    private static async Task<IResult> SignAsync(string taskId, string seatId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<SignBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var approver = context.Caller();
        var signed = await execution.UpdateAsync(taskId, (record, now) => body.Verdict == Verdict.Approve
            ? TaskApprovals.Approve(record, approver, seatId, body.Rationale, body.ContextPackSha256, now)
            : TaskApprovals.Deny(record, approver, seatId, body.Rationale, body.ContextPackSha256, now), cancellationToken);
        return await UpdatedAsync(execution, taskId, signed, cancellationToken);
    }

    private static async Task<IResult> ReviseContextPackAsync(string taskId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<ReviseContextPackBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = context.Caller();
        var pack = body.ContextPack.ToContextPack();
        var revised = await execution.UpdateAsync(taskId, (record, now) => TaskApprovals.ReviseContextPack(record, pack, caller, body.Reason, now), cancellationToken);
        return await UpdatedAsync(execution, taskId, revised, cancellationToken);
    }

    private static async Task<IResult> StartTelemetryWindowAsync(
        string taskId, string requirementId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<WindowStartBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = context.Caller();
        var started = await execution.UpdateAsync(taskId,
            (record, now) => EvidenceGate.StartTelemetryWindow(record, requirementId, body.StartedAt ?? now, caller, body.Reason, now), cancellationToken);
        return await UpdatedAsync(execution, taskId, started, cancellationToken);
    }

    private static async Task<IResult> RecordLiveStateAsync(string taskId, int step, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<LiveStateBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = context.Caller();
        var items = body.ToItems();
        var pulled = await execution.UpdateAsync(taskId,
            (record, now) => RunbookRun.RecordLiveState(record, step, body.Connector, items, caller.Id, body.PulledAt ?? now), cancellationToken);
        return await UpdatedAsync(execution, taskId, pulled, cancellationToken);
    }

    private static async Task<IResult> RecordOutcomeAsync(string taskId, int step, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var (body, problem) = await GovernanceRequests.ReadAsync<OutcomeBody>(context.Request, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var recorded = await execution.RecordOutcomeAsync(taskId, step, body.ItemId, body.Result, body.Note, context.Caller(), cancellationToken);
        return await UpdatedAsync(execution, taskId, recorded, cancellationToken);
    }

    private static async Task<IResult> CompleteAsync(string taskId, HttpContext context, GovernedExecution execution, CancellationToken cancellationToken)
    {
        var completed = await execution.CompleteAsync(taskId, context.Caller(), cancellationToken);
        if (!completed.IsAccepted)
        {
            return GovernanceProblems.Problem(completed.Refusal);
        }

        var page = await execution.GetTaskAsync(taskId, cancellationToken);
        var json = GovernanceJsonViews.Task(page.Value!);
        json["bundle"] = completed.Value.Bundle is { } bundle ? GovernanceJsonViews.Bundle(bundle) : null;
        json["alreadySealed"] = completed.Value.Bundle is null;
        json["released"] = GovernanceJsonViews.Node(completed.Value.Released);
        return Results.Json(json, GovernanceJsonViews.Options);
    }

    /// <summary>
    /// The sealed bundle in the offline layout <c>panaptico verify</c> reads, zipped (envelope, readable manifest,
    /// keyring, artifacts by sha256); with <c>Accept: application/json</c>, the envelope and manifest as JSON.
    /// </summary>
    private static async Task<IResult> GetBundleAsync(
        string taskId, HttpContext context, TaskRepository tasks, BundleStore bundles, BundleExporter exporter, CancellationToken cancellationToken)
    {
        if (await tasks.GetRowAsync(taskId, cancellationToken) is not { } row)
        {
            return GovernanceProblems.Problem(GovernanceProblems.NoTask(taskId));
        }

        if (row.Task.Seal is not { } seal)
        {
            return GovernanceProblems.Problem(Decision.Refuse(RefusalCode.Conflict, $"{taskId} is {row.Task.State}; it has no sealed bundle yet"));
        }

        var accept = context.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("application/zip", StringComparison.OrdinalIgnoreCase))
        {
            var envelope = await bundles.GetAsync(seal.BundleDigest, cancellationToken);
            if (envelope is null)
            {
                return GovernanceProblems.Problem(StatusCodes.Status500InternalServerError, "Bundle missing", $"bundle {seal.BundleDigest} of {taskId} is not in the bundle store");
            }

            var (_, manifest) = InTotoStatement.ReadManifest(envelope);
            return Results.Json(new JsonObject
            {
                ["task"] = taskId,
                ["digest"] = seal.BundleDigest,
                ["envelope"] = JsonNode.Parse(envelope.ToJson()),
                ["manifest"] = JsonNode.Parse(manifest),
            }, GovernanceJsonViews.Options);
        }

        var directory = Path.Combine(Path.GetTempPath(), "panaptico-bundle-" + Guid.NewGuid().ToString("N"));
        var zip = directory + ".zip";
        try
        {
            await exporter.ExportAsync(seal.BundleDigest, directory, cancellationToken);
            ZipFile.CreateFromDirectory(directory, zip);
        }
        catch (KeyNotFoundException e)
        {
            return GovernanceProblems.Problem(StatusCodes.Status500InternalServerError, "Bundle incomplete", e.Message);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        // The zip deletes itself once the response has streamed it.
        var stream = new FileStream(zip, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return Results.Stream(stream, "application/zip", $"{taskId}-{seal.BundleDigest[..12]}.zip");
    }

    private static async Task<IResult> UpdatedAsync(GovernedExecution execution, string taskId, Answer<TaskUpdate> update, CancellationToken cancellationToken) =>
        update.IsAccepted
            ? await TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken)
            : GovernanceProblems.Problem(update.Refusal);

    internal static async Task<IResult> TaskAsync(GovernedExecution execution, string taskId, int status, CancellationToken cancellationToken)
    {
        var page = await execution.GetTaskAsync(taskId, cancellationToken);
        return page.IsAccepted
            ? Results.Json(GovernanceJsonViews.Task(page.Value), GovernanceJsonViews.Options, statusCode: status)
            : GovernanceProblems.Problem(page.Refusal);
    }
}
