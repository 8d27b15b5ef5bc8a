using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Governance.Tasks;

/// <summary>
/// The task row: identity, lifecycle state and the dependency bookkeeping the gate re-evaluation needs without loading
/// anything else. <see cref="PendingUpstreamIds"/> is the per-task set of unsealed upstreams (its count is what the
/// dependency gate waits on); removing a sealed id is idempotent, so a replayed release changes nothing.
/// </summary>
public sealed record GovernedTask
{
    public required string Id { get; init; }

    public required string PlanId { get; init; }

    public required string WaveId { get; init; }

    public required string Title { get; init; }

    public required string OwnerId { get; init; }

    /// <summary>Who created the task; segregation of duties keeps them off its approval seats.</summary>
    public required string RequesterId { get; init; }

    public required TaskState State { get; init; }

    /// <summary>Every task this one depends on (declared upstreams and sub-tasks opened by failed runbook items).</summary>
    public ImmutableArray<string> UpstreamIds { get; init; } = [];

    public ImmutableArray<string> PendingUpstreamIds { get; init; } = [];

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Set on a sub-task opened by a failed runbook item.</summary>
    public TaskParent? Parent { get; init; }

    /// <summary>How many sub-tasks runbook failures have opened; numbers the next one.</summary>
    public int SubTaskCount { get; init; }

    public TaskSeal? Seal { get; init; }

    public TaskClosure? Closure { get; init; }

    [JsonIgnore]
    public bool IsTerminal => State is TaskState.Sealed or TaskState.Cancelled;
}

public sealed record TaskParent(string TaskId, int StepNumber, string ItemId);

/// <param name="BundleDigest">SHA-256 (64 lowercase hex) of the sealed bundle's manifest; downstream seals cite it.</param>
public sealed record TaskSeal(string BundleDigest, string SealedBy, DateTimeOffset SealedAt);

public sealed record TaskClosure(ClosureKind Kind, string Reason, string ClosedBy, DateTimeOffset ClosedAt);
