using System.Collections.Immutable;

namespace Panaptico.Core.Governance.Runbooks;

public enum RunbookResult
{
    Pass,
    Fail,
}

/// <summary>
/// One runbook step: what to check, the expected result in words and as key/value pairs the live state is compared
/// with, and where that state comes from: a connector's pull a person reviews (<see cref="Connector"/>), a live check
/// Panaptico runs and records itself (<see cref="LiveCheck"/>), or neither for a manual step, recorded as the single
/// item "step".
/// </summary>
public sealed record RunbookStep(int Number, string Title, string Instruction, string Check, string ExpectedText)
{
    /// <summary>e.g. rotation = enabled, period = 365d; drives the suggested Pass/Fail per item.</summary>
    public ImmutableSortedDictionary<string, string> Expected { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public string? Connector { get; init; }

    public LiveCheck? LiveCheck { get; init; }

    public string? OwnerId { get; init; }

    public bool IsManual => Connector is null && LiveCheck is null;

    public const string ManualItem = "step";
}

/// <summary>The state of one item (e.g. one CMK) as a connector read it.</summary>
public sealed record LiveStateItem(string ItemId, ImmutableSortedDictionary<string, string> Observed);

public sealed record LiveStatePull(int StepNumber, string Connector, DateTimeOffset PulledAt, ImmutableArray<LiveStateItem> Items);

/// <summary>
/// A Pass/Fail on one item, with the state seen and what the expected values suggested: a person's (the actor), or a
/// live check's (the actor is <c>check:&lt;kind&gt;</c> and <see cref="RequestedBy"/> the person who ran it).
/// </summary>
public sealed record RunbookItemOutcome(
    int StepNumber,
    string ItemId,
    RunbookResult Result,
    RunbookResult? Suggested,
    string? Note,
    ImmutableSortedDictionary<string, string> Observed,
    string Actor,
    DateTimeOffset At)
{
    /// <summary>The sub-task a Fail opened.</summary>
    public string? SubTaskId { get; init; }

    /// <summary>For a live check's outcome: the person who asked for the check.</summary>
    public string? RequestedBy { get; init; }
}

public sealed record Runbook
{
    public ImmutableArray<RunbookStep> Steps { get; init; } = [];

    /// <summary>The latest pull per step.</summary>
    public ImmutableArray<LiveStatePull> Pulls { get; init; } = [];

    public ImmutableArray<RunbookItemOutcome> Outcomes { get; init; } = [];

    public LiveStatePull? PullOf(int step) => Pulls.FirstOrDefault(p => p.StepNumber == step);

    /// <summary>The items a step needs outcomes for: the pulled items, or the single manual item.</summary>
    public IReadOnlyList<string> ItemsOf(RunbookStep step) =>
        step.IsManual ? [RunbookStep.ManualItem] : PullOf(step.Number)?.Items.Select(i => i.ItemId).ToList() ?? [];

    public bool IsStepComplete(RunbookStep step)
    {
        var items = ItemsOf(step);
        return items.Count > 0 && items.All(item => Outcomes.Any(o => o.StepNumber == step.Number && o.ItemId == item));
    }
}
