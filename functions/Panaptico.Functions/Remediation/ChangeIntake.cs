using Microsoft.DurableTask.Client;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Platform;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>What detecting a finding did: opened <paramref name="ChangeId"/>, or found a change that already holds the violation.</summary>
public sealed record OpenResult(Finding Finding, ChangeId? ChangeId, bool Opened, string Reason);

/// <summary>
/// Where detections (the scan, resource events) hand findings to the chain: one change per asset + pattern, and for each
/// new one a change id and its orchestration, scheduled with the change id as its instance id.
/// </summary>
/// <remarks>
/// The ticket is written by the orchestration's first activity (<see cref="RemediationActivities.OpenTicket"/>), not
/// here: the detector only takes the open-change index for the finding (a conditional write, so two detectors racing on
/// one violation get one change) and schedules. If it stops between the two, or the orchestration fails before its
/// ticket exists, the index names a change the table does not hold: the next detection of the violation schedules that
/// id again. Scheduling is idempotent by instance id: an instance that exists and has not failed is left alone.
/// </remarks>
public sealed class ChangeIntake(
    ChangeTable changes, ChangeIdCounter counter, OpenChangeIndex index, RemediationSettings settings, TimeProvider time, ILogger<ChangeIntake> logger)
{
    private const int MaxIndexRetries = 20;

    /// <summary>
    /// Opens a change for each finding whose asset + pattern no change holds (<see cref="ChangeChain.HoldsAsset"/>): a
    /// closed or expired change lets go, a won't-fix or a revert holds while its exception stands, a rolled-back change
    /// lets go at once and the change opened after it follows it (and so waits for a person), a stuck one holds.
    /// </summary>
    public async Task<IReadOnlyList<OpenResult>> OpenAsync(
        DurableTaskClient client, IReadOnlyList<Finding> findings, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, settings.ScanParallelism), CancellationToken = cancellationToken };
        var assessments = new Assessment[findings.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, findings.Count), parallel,
            async (i, ct) => assessments[i] = await AssessAsync(findings[i], ct));

        // One counter write for every change this detection opens.
        var fresh = assessments.Count(a => a.NeedsId);
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var next = fresh == 0 ? 0 : await counter.ReserveAsync(day, fresh, cancellationToken);
        var ids = new ChangeId?[findings.Count];
        for (var i = 0; i < findings.Count; i++)
        {
            ids[i] = assessments[i].NeedsId ? new ChangeId(day, next++) : null;
        }

        var results = new OpenResult[findings.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, findings.Count), parallel,
            async (i, ct) => results[i] = await OpenOneAsync(client, findings[i], assessments[i], ids[i], requestedBy, ct));
        return results;
    }

    private async Task<Assessment> AssessAsync(Finding finding, CancellationToken cancellationToken)
    {
        var key = OpenChangeIndex.KeyOf(finding);
        var holder = await index.FindAsync(key, cancellationToken);
        if (holder is null)
        {
            return new Assessment(key, null, null, false);
        }
        var held = await changes.GetAsync(holder.ChangeId, cancellationToken);
        if (held is null)
        {
            // The index was taken, but no ticket yet: its orchestration is on its way, or never got scheduled.
            return new Assessment(key, holder, holder.ChangeId, true);
        }
        return ChangeChain.HoldsAsset(held, time.GetUtcNow())
            ? new Assessment(key, holder, holder.ChangeId, false) { Reason = $"re-detection: {holder.ChangeId} is {held.Stage.Name()}" }
            : new Assessment(key, holder, null, false) { Follows = held.Stage == ChangeStage.RolledBack ? held.Id : null };
    }

    private async Task<OpenResult> OpenOneAsync(
        DurableTaskClient client, Finding finding, Assessment assessment, ChangeId? id, string requestedBy, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (assessment.Orphan)
            {
                var scheduled = await ScheduleAsync(client, assessment.Holding!.Value, finding, requestedBy, null, cancellationToken);
                return new OpenResult(finding, assessment.Holding, scheduled, scheduled ? "scheduled again: its ticket was never opened" : "re-detection: its orchestration is opening it");
            }
            if (assessment.Holding is { } holding)
            {
                return new OpenResult(finding, holding, false, assessment.Reason);
            }
            id ??= new ChangeId(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime),
                await counter.ReserveAsync(DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), 1, cancellationToken));
            if (await index.TryTakeAsync(assessment.Key, finding.OpenKey, id.Value, assessment.Holder, cancellationToken))
            {
                await ScheduleAsync(client, id.Value, finding, requestedBy, assessment.Follows, cancellationToken);
                return new OpenResult(finding, id, true, assessment.Follows is { } follows ? $"opened after {follows} rolled back" : "opened");
            }
            if (attempt >= MaxIndexRetries)
            {
                throw new InvalidOperationException($"could not take the open-change index for {finding.OpenKey}");
            }
            // Another detector took it first; its id is unused (a gap in the day's numbers) only if that one opens now.
            assessment = await AssessAsync(finding, cancellationToken);
            id = null;
        }
    }

    /// <summary>Schedules the change's orchestration unless an instance with its id is there and has not failed; true when this call scheduled it.</summary>
    private async Task<bool> ScheduleAsync(
        DurableTaskClient client, ChangeId id, Finding finding, string requestedBy, ChangeId? follows, CancellationToken cancellationToken)
    {
        var instanceId = id.ToString();
        if (!await client.ScheduleOnceAsync(nameof(RemediationChain), instanceId,
            () => new ChainStart(instanceId, Wire.Json(finding), requestedBy, time.GetUtcNow(), settings.StepAttempts, settings.StepRetryInterval,
                follows?.ToString())
            {
                DeliveryAttempts = settings.DeliveryAttempts,
                DeliveryRetryInterval = settings.DeliveryRetryInterval,
            },
            instance => !Failed(instance), cancellationToken))
        {
            return false;
        }
        logger.LogInformation("Opened {Change}: {Pattern} on {Asset}", instanceId, finding.PatternId, finding.Asset);
        return true;
    }

    private static bool Failed(OrchestrationMetadata instance) =>
        instance.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    private sealed record Assessment(string Key, OpenChangeHolder? Holder, ChangeId? Holding, bool Orphan)
    {
        public string Reason { get; init; } = "";

        /// <summary>The rolled-back change a new one follows.</summary>
        public ChangeId? Follows { get; init; }

        public bool NeedsId => Holding is null && !Orphan;
    }
}
