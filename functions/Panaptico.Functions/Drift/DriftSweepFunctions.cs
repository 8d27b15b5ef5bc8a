using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Panaptico.Functions.Platform;

namespace Panaptico.Functions.Drift;

/// <summary>One sweep: its id (from the timer occurrence) and the time it reconciles at.</summary>
public sealed record DriftSweepStart(string SweepId, DateTimeOffset At);

/// <summary>The objects of one connector one read activity reads.</summary>
public sealed record LiveBatch(string SweepId, string Connector, string[] ObjectIds);

/// <summary>What the reconcile activity decides from: the sweep and the live reads (the domain's JSON, one per batch).</summary>
public sealed record ReconcileInput(string SweepId, DateTimeOffset At, string[] Reads);

/// <summary>
/// One action of a feed row as data between activities: the domain's <c>DriftAction</c> with what its activity needs.
/// <see cref="Key"/> (row + action + target) is its idempotency key.
/// </summary>
public sealed record DriftActionItem(
    string Key, string Kind, string RowId, string Class, string Target, string[] Fields, string Summary, string Title)
{
    /// <summary>The sweep's time: when a governed task's change-record clock starts.</summary>
    public DateTimeOffset At { get; init; }
    public DateTimeOffset? Due { get; init; }
    public string? DecisionRecord { get; init; }

    /// <summary>A re-baseline's objects with their new intended values (graph document JSON).</summary>
    public string? Rebaseline { get; init; }

    /// <summary>A forensic bundle's content (JSON).</summary>
    public string? Evidence { get; init; }
}

/// <summary>A governed task's change-record deadline: a durable timer, then an escalation when no change record came.</summary>
public sealed record ChangeRecordHold(string TaskId, string RowId, string Owner, string[] Objects, DateTimeOffset OpenedAt, DateTimeOffset Due);

/// <summary>
/// The sweep: a timer starts one orchestration per occurrence (its instance id is the occurrence's, so an occurrence
/// fired twice, or a sweep still running when the next begins, reports nothing twice); the orchestration reads live
/// state per connector in batches, reconciles, attributes and classifies in one activity that commits the drift
/// memory only if no other sweep did meanwhile, then carries out each action in its own idempotent activity.
/// </summary>
public sealed class DriftSweepFunctions(TimeProvider time, ILogger<DriftSweepFunctions> logger)
{
    public const string ScheduleSetting = "DriftSweepSchedule";

    /// <summary>Every minute (six-field NCRONTAB), unless the setting says otherwise.</summary>
    public const string DefaultSchedule = "0 * * * * *";

    private static readonly TaskOptions s_retry = new(new TaskRetryOptions(new RetryPolicy(5, TimeSpan.FromSeconds(2), 2, TimeSpan.FromMinutes(1))));

    [Function("DriftSweep")]
    public async Task RunAsync(
        [TimerTrigger("%" + ScheduleSetting + "%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var occurrence = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var started = await StartAsync(client, occurrence, cancellationToken);
        logger.LogInformation("Drift sweep {Sweep}: {Started}", SweepId(occurrence), started ? "started" : "already running or done");
    }

    /// <summary>Starts the sweep of one occurrence unless it exists; true when this call started it.</summary>
    public static Task<bool> StartAsync(DurableTaskClient client, DateTimeOffset occurrence, CancellationToken cancellationToken)
    {
        var sweepId = SweepId(occurrence);
        return client.ScheduleOnceAsync(nameof(DriftSweepOrchestration), InstanceId(sweepId), () => new DriftSweepStart(sweepId, occurrence), _ => true, cancellationToken);
    }

    public static string SweepId(DateTimeOffset occurrence) => $"SWEEP-{occurrence.UtcDateTime:yyyyMMdd-HHmmss}";

    public static string InstanceId(string sweepId) => "drift-" + sweepId;

    [Function(nameof(DriftSweepOrchestration))]
    public static async Task<string> DriftSweepOrchestration([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var start = context.GetInput<DriftSweepStart>()!;
        var batches = await context.CallActivityAsync<LiveBatch[]>(nameof(DriftActivities.DriftListBatches), start, s_retry);
        var reads = await Task.WhenAll(batches.Select(b => context.CallActivityAsync<string>(nameof(DriftActivities.DriftReadLive), b, s_retry)));
        var actions = await context.CallActivityAsync<DriftActionItem[]>(
            nameof(DriftActivities.DriftReconcile), new ReconcileInput(start.SweepId, start.At, reads), s_retry);
        foreach (var action in actions)
        {
            var activity = action.Kind switch
            {
                "rebaseline" => nameof(DriftActivities.DriftRebaseline),
                "governed-task" => nameof(DriftActivities.DriftOpenTask),
                "route-approval" => nameof(DriftActivities.DriftRouteApproval),
                "freeze" => nameof(DriftActivities.DriftFreeze),
                "page-on-call" => nameof(DriftActivities.DriftPageOnCall),
                "forensic-bundle" => nameof(DriftActivities.DriftSealForensics),
                _ => null,
            };
            if (activity is not null)
            {
                await context.CallActivityAsync<string>(activity, action, s_retry);
            }
        }
        return $"{start.SweepId}: {batches.Length} batch(es), {actions.Length} action(s)";
    }

    /// <summary>A notable drift's task: waits until the change record is due, then escalates unless one arrived.</summary>
    [Function(nameof(DriftChangeRecordHold))]
    public static async Task<string> DriftChangeRecordHold([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var hold = context.GetInput<ChangeRecordHold>()!;
        if (hold.Due.UtcDateTime > context.CurrentUtcDateTime)
        {
            await context.CreateTimer(hold.Due.UtcDateTime, CancellationToken.None);
        }
        return await context.CallActivityAsync<string>(nameof(DriftActivities.DriftEscalateWithoutChangeRecord), hold, s_retry);
    }
}
