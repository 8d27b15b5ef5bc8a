using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>
/// Governed tasks over HTTP: operators create them, move them, wire their dependencies and complete them; every role
/// reads them; auditors export sealed bundles. Every refusal is application/problem+json and changes nothing.
/// </summary>
public sealed class TaskFunctions(
    GovernedExecution execution,
    TaskRepository tasks,
    BundleStore bundles,
    BundleExporter exporter,
    GovernanceOptions options,
    TimeProvider time)
{
    [Function("CreateTask")]
    public async Task<IResult> CreateTaskAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<CreateTaskBody>(request, BodyLimits.Definition, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var created = await execution.CreateTaskAsync(body.ToNewTask(), request.HttpContext.Caller(), client, cancellationToken);
        return created.IsAccepted
            ? await TaskReplies.TaskAsync(execution, created.Value.Record.Id, StatusCodes.Status201Created, cancellationToken)
            : Problems.Problem(created.Refusal);
    }

    [Function("GetTask")]
    public async Task<IResult> GetTaskAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "tasks/{taskId}")] HttpRequest request,
        string taskId,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Access.AnyRole) is { } refused)
        {
            return refused;
        }

        return await TaskReplies.TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken);
    }

    [Function("TransitionTask")]
    public async Task<IResult> TransitionTaskAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/transitions")] HttpRequest request,
        string taskId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<TransitionBody>(request, BodyLimits.Decision, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = request.HttpContext.Caller();
        Func<TaskRecord, DateTimeOffset, Decision<TaskRecord>> decide = body.Action switch
        {
            TaskAction.Ready => (record, now) => TaskLifecycle.MarkReady(record, caller, body.Reason, now),
            TaskAction.Start => (record, now) => TaskLifecycle.Start(record, caller, body.Reason, now),
            TaskAction.Hold => (record, now) => TaskLifecycle.Hold(record, caller, body.Reason, now),
            TaskAction.Resume => (record, now) => TaskLifecycle.Resume(record, caller, body.Reason, now),
            TaskAction.Cancel => (record, now) => TaskLifecycle.Cancel(record, caller, body.Reason, now),
            _ => throw new UnreachableException($"action {body.Action}"),
        };
        return await TaskReplies.UpdatedAsync(execution, taskId, await execution.UpdateAsync(taskId, decide, client, cancellationToken), cancellationToken);
    }

    [Function("AddDependency")]
    public async Task<IResult> AddDependencyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/dependencies")] HttpRequest request,
        string taskId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<DependencyBody>(request, BodyLimits.Decision, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var added = await execution.AddDependencyAsync(taskId, body.UpstreamId, body.Reason, request.HttpContext.Caller(), client, cancellationToken);
        return added.IsAccepted
            ? await TaskReplies.TaskAsync(execution, taskId, StatusCodes.Status200OK, cancellationToken)
            : Problems.Problem(added.Refusal);
    }

    /// <summary>
    /// 409 with the unlock conditions in words and data while a gate is open; otherwise seals the bundle and releases
    /// the direct downstream tasks (the <c>ReleaseDownstream</c> orchestration, awaited up to
    /// <see cref="GovernanceOptions.ReleaseWait"/>: <c>released</c> is null when it is still running).
    /// </summary>
    [Function("CompleteTask")]
    public async Task<IResult> CompleteTaskAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/complete")] HttpRequest request,
        string taskId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var completed = await execution.CompleteAsync(taskId, request.HttpContext.Caller(), client, cancellationToken);
        if (!completed.IsAccepted)
        {
            return Problems.Problem(completed.Refusal);
        }

        // The seal is stored: its release runs to the end whatever happens to this request.
        var release = await GateHolds.ReleaseAsync(client, taskId, options.ReleaseWait, time, CancellationToken.None);
        var page = await execution.GetTaskAsync(taskId, cancellationToken);
        var json = GovernanceJsonViews.Task(page.Value!);
        json["bundle"] = completed.Value.Bundle is { } bundle ? GovernanceJsonViews.Bundle(bundle) : null;
        json["alreadySealed"] = completed.Value.Bundle is null;
        json["released"] = release is null ? null : GovernanceJsonViews.Node(release.Released);
        json["releaseInstanceId"] = GateHolds.ReleaseId(taskId);
        return Results.Json(json, GovernanceJsonViews.Options);
    }

    /// <summary>
    /// The sealed bundle in the offline layout <c>panaptico verify</c> reads, zipped (envelope, readable manifest,
    /// keyring, artifacts by sha256); with <c>Accept: application/json</c>, the envelope and manifest as JSON.
    /// </summary>
    [Function("GetTaskBundle")]
    public async Task<IResult> GetTaskBundleAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "tasks/{taskId}/bundle")] HttpRequest request,
        string taskId,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Auditor) is { } refused)
        {
            return refused;
        }

        if (await tasks.GetRowAsync(taskId, cancellationToken) is not { } row)
        {
            return Problems.Problem(GovernedExecution.NoTask(taskId));
        }

        if (row.Task.Seal is not { } seal)
        {
            return Problems.Problem(Decision.Refuse(RefusalCode.Conflict, $"{taskId} is {row.Task.State}; it has no sealed bundle yet"));
        }

        var accept = request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("application/zip", StringComparison.OrdinalIgnoreCase))
        {
            var envelope = await bundles.GetAsync(seal.BundleDigest, cancellationToken);
            if (envelope is null)
            {
                return Problems.Inconsistent("Bundle missing", $"bundle {seal.BundleDigest} of {taskId} is not in the bundle store");
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
            return Problems.Inconsistent("Bundle incomplete", e.Message);
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
}
