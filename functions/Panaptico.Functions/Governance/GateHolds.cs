using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;

using Panaptico.Functions.Platform;

namespace Panaptico.Functions.Governance;

/// <summary>An approval seat held until <paramref name="ExpiresAt"/>, when it re-routes to its fallback or expires.</summary>
public sealed record GateHoldInput(string TaskId, string SeatId, DateTimeOffset ExpiresAt);

/// <summary>A telemetry window ("48 h post-bake") that started at <paramref name="StartedAt"/> and ends at <paramref name="EndsAt"/>.</summary>
public sealed record WindowHoldInput(string TaskId, string RequirementId, DateTimeOffset StartedAt, DateTimeOffset EndsAt);

/// <summary>
/// What one write of a task leaves to the engine, scheduled before its commit: look (after <paramref name="Delay"/>, up
/// to <paramref name="Looks"/> times) until the task reached <paramref name="Version"/>, dispatch whatever its outbox
/// still holds, then release its downstream tasks if the write sealed it, and hold the seats and windows it opened.
/// </summary>
public sealed record TaskFollowUpInput(
    string TaskId,
    long Version,
    bool Sealed,
    ImmutableArray<GateHoldInput> Seats,
    ImmutableArray<WindowHoldInput> Windows,
    TimeSpan Delay,
    int Looks)
{
    public bool HasHolds => Sealed || !Seats.IsDefaultOrEmpty || !Windows.IsDefaultOrEmpty;

    /// <summary>A write's follow-up from the record before and after it.</summary>
    /// <param name="before">The record as read; null for a creation or a write of the task row only.</param>
    /// <param name="after">The record as written; null for a write of the task row only (no seats, no windows).</param>
    public static TaskFollowUpInput Of(string taskId, long version, TaskRecord? before, TaskRecord? after, GovernanceOptions options)
    {
        var seats = ImmutableArray.CreateBuilder<GateHoldInput>();
        var windows = ImmutableArray.CreateBuilder<WindowHoldInput>();
        if (after is { Task.IsTerminal: false })
        {
            // A seat opened, re-opened or given a new expiry by this write gets a hold of its own; one whose expiry
            // did not change keeps the hold it had.
            foreach (var seat in after.Approvals is { State: ApprovalGateState.Open } gate ? gate.Seats : [])
            {
                var was = before?.Approvals?.Seats.FirstOrDefault(s => s.Id == seat.Id);
                if (seat is { State: SeatState.Open, ExpiresAt: { } expiresAt } && (was is not { State: SeatState.Open } || was.ExpiresAt != expiresAt))
                {
                    seats.Add(new GateHoldInput(taskId, seat.Id, expiresAt));
                }
            }

            foreach (var requirement in after.Requirements)
            {
                var was = before?.Requirements.FirstOrDefault(r => r.Id == requirement.Id);
                if (requirement is { Kind: EvidenceKind.TelemetryWindow, WindowStartedAt: { } startedAt, WindowEndsAt: { } endsAt } && was?.WindowStartedAt != startedAt)
                {
                    windows.Add(new WindowHoldInput(taskId, requirement.Id, startedAt, endsAt));
                }
            }
        }

        var sealedNow = after is { Task.State: TaskState.Sealed } && before is not { Task.State: TaskState.Sealed };
        return new TaskFollowUpInput(taskId, version, sealedNow, seats.ToImmutable(), windows.ToImmutable(), options.FollowUpDelay, options.FollowUpLooks);
    }
}

/// <summary>Where a held seat stands after its expiry ran: its new expiry when that run re-routed it, else none.</summary>
public sealed record GateHoldOutcome(string State, DateTimeOffset? ReroutedUntil);

/// <param name="Sealed">False when the task is not sealed (a seal that never committed): nothing was released.</param>
/// <param name="Released">Downstream tasks moved Blocked → Ready, in id order.</param>
public sealed record ReleaseOutcome(string TaskId, bool Sealed, ImmutableArray<string> Released);

public sealed record SealedDownstream(bool Sealed, ImmutableArray<string> TaskIds);

public sealed record ReleaseTaskInput(string UpstreamId, string DownstreamId);

/// <summary>
/// Gate holds on the Durable Task engine: a task's approval expiry and re-routing, its telemetry windows, and the
/// release of downstream tasks when it seals are durable timers and orchestrations. Every action re-reads the task and
/// acts only on what is stored (a spurious or repeated hold changes nothing), so a write can schedule its follow-up
/// before it commits and the engine's at-least-once activities need no claims.
/// </summary>
public static class GateHolds
{
    /// <summary>Activities retry on their own before failing the hold (storage hiccups, a task that kept changing).</summary>
    private static readonly TaskOptions s_retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    public static string FollowUpId(string taskId, long version) => $"task-{taskId}-v{version}-{Guid.NewGuid().ToString("N")[..8]}";

    public static string ReleaseId(string taskId) => $"release-{taskId}";

    /// <summary>Schedules a write's follow-up (before its commit: a stop after the commit still leaves one).</summary>
    public static async Task<string> ScheduleFollowUpAsync(DurableTaskClient client, TaskFollowUpInput followUp, CancellationToken cancellationToken)
    {
        var id = FollowUpId(followUp.TaskId, followUp.Version);
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(TaskFollowUp), followUp, new StartOrchestrationOptions(id), cancellationToken);
        return id;
    }

    /// <summary>
    /// Makes sure the sealed task's <c>ReleaseDownstream</c> orchestration exists (started by this call or earlier) and
    /// waits up to <paramref name="wait"/> for it. Null when it is still running.
    /// </summary>
    public static async Task<ReleaseOutcome?> ReleaseAsync(DurableTaskClient client, string taskId, TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
    {
        var id = ReleaseId(taskId);
        await client.ScheduleOnceAsync(nameof(ReleaseDownstream), id, () => taskId, _ => true, cancellationToken);

        using var timeout = new CancellationTokenSource(wait, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, linked.Token);
            return done.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? done.ReadOutputAs<ReleaseOutcome>() : null;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>The follow-up of one task write; see <see cref="TaskFollowUpInput"/>.</summary>
    [Function(nameof(TaskFollowUp))]
    public static async Task<string> TaskFollowUp([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<TaskFollowUpInput>()!;
        var landed = false;
        for (var look = 0; look < Math.Max(1, input.Looks) && !landed; look++)
        {
            await context.CreateTimer(context.CurrentUtcDateTime + input.Delay, CancellationToken.None);
            landed = await context.CallActivityAsync<long>(nameof(GateHoldActivities.DispatchTaskEffects), input.TaskId, s_retry) >= input.Version;
        }

        if (!landed)
        {
            return "the write never landed";
        }

        var holds = new List<Task>();
        if (input.Sealed)
        {
            holds.Add(context.CallSubOrchestratorAsync<ReleaseOutcome>(nameof(ReleaseDownstream), input.TaskId,
                new SubOrchestrationOptions { InstanceId = $"{context.InstanceId}:release" }));
        }

        var i = 0;
        foreach (var seat in input.Seats.IsDefault ? [] : input.Seats)
        {
            holds.Add(context.CallSubOrchestratorAsync<string>(nameof(GateHold), seat,
                new SubOrchestrationOptions { InstanceId = $"{context.InstanceId}:gate-{i++}" }));
        }

        foreach (var window in input.Windows.IsDefault ? [] : input.Windows)
        {
            holds.Add(context.CallSubOrchestratorAsync<string>(nameof(TelemetryWindowHold), window,
                new SubOrchestrationOptions { InstanceId = $"{context.InstanceId}:window-{i++}" }));
        }

        await Task.WhenAll(holds);
        return $"dispatched; {holds.Count} hold(s) done";
    }

    /// <summary>
    /// One approval seat's expiry: a durable timer until it, then the expiry (re-route to the rule's fallback, or
    /// expire); a re-routed seat is held again until its new expiry.
    /// </summary>
    [Function(nameof(GateHold))]
    public static async Task<string> GateHold([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var hold = context.GetInput<GateHoldInput>()!;
        if (hold.ExpiresAt.UtcDateTime > context.CurrentUtcDateTime)
        {
            await context.CreateTimer(hold.ExpiresAt.UtcDateTime, CancellationToken.None);
        }

        var outcome = await context.CallActivityAsync<GateHoldOutcome>(nameof(GateHoldActivities.ExpireApprovalSeats), hold, s_retry);
        if (outcome.ReroutedUntil is { } next)
        {
            context.ContinueAsNew(hold with { ExpiresAt = next });
        }

        return outcome.State;
    }

    /// <summary>A telemetry window: a durable timer until it ends, then the owner is asked for the export covering it.</summary>
    [Function(nameof(TelemetryWindowHold))]
    public static async Task<string> TelemetryWindowHold([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var window = context.GetInput<WindowHoldInput>()!;
        if (window.EndsAt.UtcDateTime > context.CurrentUtcDateTime)
        {
            await context.CreateTimer(window.EndsAt.UtcDateTime, CancellationToken.None);
        }

        return await context.CallActivityAsync<string>(nameof(GateHoldActivities.CloseTelemetryWindow), window, s_retry);
    }

    /// <summary>A sealed task's direct downstream tasks, released in parallel (one activity each), their owners notified.</summary>
    [Function(nameof(ReleaseDownstream))]
    public static async Task<ReleaseOutcome> ReleaseDownstream([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var taskId = context.GetInput<string>()!;
        var downstream = await context.CallActivityAsync<SealedDownstream>(nameof(GateHoldActivities.ListSealedDownstream), taskId, s_retry);
        if (!downstream.Sealed)
        {
            return new ReleaseOutcome(taskId, false, []);
        }

        var ids = downstream.TaskIds.IsDefault ? [] : downstream.TaskIds;
        var released = await Task.WhenAll(ids.Select(id =>
            context.CallActivityAsync<bool>(nameof(GateHoldActivities.ReleaseDownstreamTask), new ReleaseTaskInput(taskId, id), s_retry)));
        return new ReleaseOutcome(taskId, true, [.. ids.Where((_, i) => released[i]).Order(StringComparer.Ordinal)]);
    }
}
