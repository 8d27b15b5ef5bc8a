using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Net.Http.Headers;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Functions.Auth;
using Panaptico.Functions.Http;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>
/// Evidence over HTTP. <c>POST /api/tasks/{taskId}/evidence/{requirementId}</c>: the request body is the artifact,
/// streamed into the evidence vault (never buffered whole), then recorded against the requirement.
/// <c>POST …/{requirementId}/window</c> starts a telemetry window, held by a durable timer until it ends.
/// </summary>
/// <remarks>
/// The artifact is named by <c>Content-Disposition: attachment; filename=…</c> or <c>?name=</c>, a plain file name
/// (<see cref="ArtifactName"/>: no path separators, no <c>..</c>, no control characters, at most 255 characters); its media type is the
/// Content-Type; <c>X-Content-SHA256</c> optionally claims its hash. The domain's capture is first decided on a stand-in
/// (same task, requirement, name and caller), so an upload it would refuse is refused before any byte is stored.
/// Requirements with a machine check (row checks, telemetry windows) need the content: their uploads are capped at
/// <see cref="GovernanceOptions.MaxCheckedArtifactBytes"/> and read back from the vault for the check. Unchecked
/// artifacts may be as large as the vault allows; the domain sees a stand-in and the record takes the vault's hash and
/// size, which the vault computed while streaming.
/// </remarks>
public sealed class EvidenceFunctions(
    GovernedExecution execution,
    TaskRepository tasks,
    EvidenceVault vault,
    CheckedEvidenceVault checkedVault,
    EvidenceVaultOptions vaultOptions,
    GovernanceOptions options,
    TimeProvider time)
{
    public const string ClaimedHashHeader = "X-Content-SHA256";

    private static readonly ReadOnlyMemory<byte> s_standIn = "\n"u8.ToArray();

    [Function("UploadEvidence")]
    public async Task<IResult> UploadEvidenceAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/evidence/{requirementId}")] HttpRequest request,
        string taskId,
        string requirementId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var context = request.HttpContext;
        var caller = context.Caller();
        var name = FileName(request);
        if (string.IsNullOrWhiteSpace(name))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid", "Artifact name missing",
                "name the artifact with Content-Disposition: attachment; filename=\"…\" or ?name=…");
        }

        // Refused, never shortened: the name is recorded, sealed and exported as sent.
        if (ArtifactName.Problem(name) is { } badName)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid", "Artifact name refused", badName, new JsonObject { ["name"] = name });
        }

        var mediaType = MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) && contentType.MediaType.HasValue
            ? contentType.MediaType.Value!
            : "application/octet-stream";
        var claimed = request.Headers[ClaimedHashHeader].FirstOrDefault()?.Trim().ToLowerInvariant();

        if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
        {
            return Problems.Problem(GovernedExecution.NoTask(taskId));
        }

        var dryRun = EvidenceGate.Capture(stored.Record, requirementId, new ArtifactContent(name, mediaType, s_standIn), caller, time.GetUtcNow());
        if (!dryRun.IsAccepted)
        {
            return Problems.Problem(dryRun.Refusal);
        }

        var requirement = stored.Record.Requirements.First(r => r.Id == requirementId);
        var inspected = NeedsContent(requirement);
        var target = inspected ? checkedVault.Vault : vault;
        var limit = inspected ? Math.Min(vaultOptions.MaxArtifactBytes, options.MaxCheckedArtifactBytes) : vaultOptions.MaxArtifactBytes;
        if (request.ContentLength is { } length && length > limit)
        {
            return TooLarge(requirementId, inspected, limit);
        }

        // The vault enforces its own limit while streaming; the server's default cap (30 MB) would stop it first.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = null;
        }

        StoredArtifact artifact;
        try
        {
            artifact = await target.PutAsync(request.Body, new ArtifactCapture(requirementId, name, mediaType, caller.Id), claimed, cancellationToken);
        }
        catch (ArtifactTooLargeException)
        {
            return TooLarge(requirementId, inspected, limit);
        }
        catch (ArtifactRejectedException e)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid", "Artifact refused", e.Message);
        }

        var content = inspected
            ? new ArtifactContent(name, mediaType, await ReadBackAsync(target, artifact, cancellationToken))
            : new ArtifactContent(name, mediaType, s_standIn);
        var captured = await execution.UpdateAsync(taskId, (record, now) =>
        {
            var decision = EvidenceGate.Capture(record, requirementId, content, caller, now);
            return inspected ? decision : WithVaultHash(decision, artifact);
        }, client, cancellationToken);
        if (!captured.IsAccepted)
        {
            // The bytes stay in the vault: content-addressed and unreferenced, they record nothing.
            return Problems.Problem(captured.Refusal);
        }

        var record = captured.Value.Stored.Record;
        var recorded = record.Artifacts.Last(a => a.RequirementId == requirementId && a.Sha256 == artifact.Sha256);
        var evidence = EvidenceGate.Evaluate(record, time.GetUtcNow());
        return Results.Json(new JsonObject
        {
            ["task"] = taskId,
            ["artifact"] = GovernanceJsonViews.Node(recorded),
            ["requirement"] = GovernanceJsonViews.Node(evidence.Requirements.First(r => r.Requirement.Id == requirementId)),
            ["evidence"] = new JsonObject { ["progress"] = evidence.Progress, ["isClear"] = evidence.IsClear },
            ["alreadyInVault"] = artifact.AlreadyStored,
        }, GovernanceJsonViews.Options, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>Starts a telemetry window ("48 h post-bake"); its end is a durable timer that asks the owner for the export.</summary>
    [Function("StartTelemetryWindow")]
    public async Task<IResult> StartTelemetryWindowAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "tasks/{taskId}/evidence/{requirementId}/window")] HttpRequest request,
        string taskId,
        string requirementId,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        if (await request.AuthorizeAsync(Role.Operator) is { } refused)
        {
            return refused;
        }

        var (body, problem) = await RequestBody.ReadAsync<WindowStartBody>(request, BodyLimits.Decision, cancellationToken);
        if (body is null)
        {
            return problem!;
        }

        var caller = request.HttpContext.Caller();
        var started = await execution.UpdateAsync(taskId,
            (record, now) => EvidenceGate.StartTelemetryWindow(record, requirementId, body.StartedAt ?? now, caller, body.Reason, now), client, cancellationToken);
        return await TaskReplies.UpdatedAsync(execution, taskId, started, cancellationToken);
    }

    /// <summary>Row checks and telemetry windows read the content; any other requirement only needs its hash.</summary>
    public static bool NeedsContent(EvidenceRequirement requirement) =>
        requirement.Kind == EvidenceKind.TelemetryWindow || requirement.Check is { Format: not ArtifactFormat.Any };

    /// <summary>The domain hashed a stand-in; the record takes the hash and size the vault computed over the real bytes.</summary>
    private static Decision<TaskRecord> WithVaultHash(Decision<TaskRecord> decision, StoredArtifact stored)
    {
        if (!decision.IsAccepted)
        {
            return decision;
        }

        var reason = $"captured ({stored.Size} bytes, no machine check)";
        var last = decision.Value.Artifacts[^1];
        var artifacts = decision.Value.Artifacts.SetItem(decision.Value.Artifacts.Length - 1, last with { Sha256 = stored.Sha256, Size = stored.Size, Reason = reason });
        foreach (var entry in decision.Ledger.Where(e => e.Data is not null && e.Kind.StartsWith("evidence.", StringComparison.Ordinal)))
        {
            entry.Data!["sha256"] = stored.Sha256;
            entry.Data["size"] = stored.Size;
            entry.Data["reason"] = reason;
        }

        return Decision.Accept(decision.Value with { Artifacts = artifacts }, decision.Ledger, decision.Notifications);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBackAsync(EvidenceVault vault, StoredArtifact artifact, CancellationToken cancellationToken)
    {
        await using var stream = await vault.OpenAsync(artifact.Sha256, cancellationToken)
            ?? throw new InvalidOperationException($"artifact {artifact.Sha256} was stored but cannot be read back");
        var bytes = new byte[artifact.Size];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        return bytes;
    }

    private static string? FileName(HttpRequest request)
    {
        if (ContentDispositionHeaderValue.TryParse(request.Headers.ContentDisposition.ToString(), out var disposition))
        {
            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName);
            if (fileName.HasValue && !string.IsNullOrWhiteSpace(fileName.Value))
            {
                return fileName.Value;
            }
        }

        return request.Query["name"].FirstOrDefault();
    }

    private static IResult TooLarge(string requirementId, bool inspected, long limit) =>
        Problems.TooLarge("Artifact too large",
            inspected
                ? $"'{requirementId}' has a machine check, which reads the artifact back; such artifacts are capped at {limit} bytes"
                : $"artifacts are capped at {limit} bytes",
            new JsonObject { ["limitBytes"] = limit });
}
