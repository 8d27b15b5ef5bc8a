using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Identity;

namespace Panaptico.Functions.Governance;

/// <summary>A step's live check to run, and who asked for it.</summary>
public sealed record LiveCheckInput(string TaskId, int Step, string Kind, IReadOnlyDictionary<string, string> Scope, string RequestedById, string RequestedByName, IReadOnlyList<string> RequestedByRoles)
{
    public Principal RequestedBy => new(RequestedById, RequestedByName, RequestedByRoles.ToHashSet(StringComparer.Ordinal));
}

public sealed record PulledItem(string ItemId, IReadOnlyDictionary<string, string> Observed);

public sealed record LiveCheckPulled(string Connector, DateTimeOffset PulledAt, IReadOnlyList<PulledItem> Items);

public sealed record LiveCheckRecordInput(LiveCheckInput Check, LiveCheckPulled Pulled);

/// <summary>What the check recorded on the step (or, in <paramref name="Refused"/>, why it recorded nothing).</summary>
public sealed record LiveCheckOutcome(string TaskId, int Step, int Items, int Passed, int Failed, IReadOnlyList<string> SubTasks, string? Refused);

/// <summary>
/// A runbook step's live check on the Durable Task engine, one orchestration per task and step (instance
/// <c>check-&lt;task&gt;-s&lt;step&gt;</c>): pull the state through the check's connector (read only), then record it on
/// the step in one write of the task, every item judged by the step's expected values, each Fail opening a sub-task.
/// The record is idempotent by task and step: a step the check already recorded is answered unchanged.
/// </summary>
public sealed class LiveCheckRuns(LiveChecks checks, GovernedExecution execution, TimeProvider time)
{
    private static readonly TaskOptions s_retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(2), backoffCoefficient: 2));

    public static string InstanceId(string taskId, int step) => $"check-{taskId}-s{step}";

    [Function(nameof(RunbookLiveCheck))]
    public static async Task<LiveCheckOutcome> RunbookLiveCheck([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<LiveCheckInput>()!;
        var pulled = await context.CallActivityAsync<LiveCheckPulled>(nameof(PullLiveCheck), input, s_retry);
        return await context.CallActivityAsync<LiveCheckOutcome>(nameof(RecordLiveCheck), new LiveCheckRecordInput(input, pulled), s_retry);
    }

    /// <summary>Reads the items in the check's scope through its connector (nothing is written anywhere).</summary>
    [Function(nameof(PullLiveCheck))]
    public async Task<LiveCheckPulled> PullLiveCheck([ActivityTrigger] LiveCheckInput input)
    {
        var check = checks.Find(input.Kind) ?? throw new InvalidOperationException($"live check '{input.Kind}' is not configured in this app");
        var items = await check.PullAsync(input.Scope, CancellationToken.None);
        return new LiveCheckPulled(check.Connector, time.GetUtcNow(), [.. items.Select(i => new PulledItem(i.ItemId, i.Observed))]);
    }

    /// <summary>Records the pull and every item's Pass/Fail on the step, as the check, once.</summary>
    [Function(nameof(RecordLiveCheck))]
    public async Task<LiveCheckOutcome> RecordLiveCheck([ActivityTrigger] LiveCheckRecordInput input)
    {
        var (check, pulled) = (input.Check, input.Pulled);
        var pull = new LiveStatePull(check.Step, pulled.Connector, pulled.PulledAt,
            [.. pulled.Items.Select(i => new LiveStateItem(i.ItemId, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, i.Observed)))]);
        var recorded = await execution.RecordLiveCheckAsync(check.TaskId, check.Step, pull, check.RequestedBy, CancellationToken.None);
        if (!recorded.IsAccepted)
        {
            // A task that kept changing is worth another attempt; any other refusal will not change by retrying.
            return GovernedExecution.IsContended(recorded.Refusal)
                ? throw new InvalidOperationException(recorded.Refusal.Message)
                : new LiveCheckOutcome(check.TaskId, check.Step, 0, 0, 0, [], recorded.Refusal.Message);
        }

        var outcomes = recorded.Value.Stored.Record.Runbook!.Outcomes.Where(o => o.StepNumber == check.Step).ToList();
        return new LiveCheckOutcome(check.TaskId, check.Step, outcomes.Count,
            outcomes.Count(o => o.Result == RunbookResult.Pass), outcomes.Count(o => o.Result == RunbookResult.Fail),
            [.. outcomes.Select(o => o.SubTaskId).OfType<string>()], null);
    }
}
