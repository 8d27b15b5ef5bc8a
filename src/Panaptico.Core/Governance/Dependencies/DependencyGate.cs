using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Limits;
using Panaptico.Core.Notifications;

namespace Panaptico.Core.Governance.Dependencies;

/// <summary>
/// Downstream tasks stay Blocked until every upstream is Sealed. A seal re-evaluates only the tasks the adjacency index
/// names for it: each loses one pending upstream, and those left with none are released and their owners notified.
/// </summary>
public static class DependencyGate
{
    /// <summary>Makes <paramref name="downstream"/> wait for <paramref name="upstream"/>; refuses an edge that closes a cycle, naming it.</summary>
    public static Decision<DependencyAdded> AddDependency(DependencyGraph graph, GovernedTask upstream, GovernedTask downstream, Principal by, string reason, DateTimeOffset now)
    {
        if (!by.IsIn(Role.Operator))
        {
            return Decision.Refuse(RefusalCode.Forbidden, $"{by.Id} is not an operator; only operators change dependencies");
        }

        if (string.IsNullOrWhiteSpace(reason))
        {
            return Decision.Refuse(RefusalCode.Invalid, "a reason is required");
        }

        if (TextLimits.TooLong("reason", reason, TextLimits.Prose) is { } tooLong)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLong);
        }

        var edge = new DependencyEdge(upstream.Id, downstream.Id);
        var cycle = graph.CycleThrough(edge);
        if (!cycle.IsEmpty)
        {
            return Decision.Refuse(RefusalCode.Cycle, $"{downstream.Id} cannot depend on {upstream.Id}: it would close the cycle {string.Join(" → ", cycle)}",
                new JsonObject { ["cycle"] = GovernanceLedger.Array(cycle) });
        }

        if (graph.Contains(edge) || downstream.UpstreamIds.Contains(upstream.Id))
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{downstream.Id} already depends on {upstream.Id}");
        }

        if (downstream.State is not (TaskState.Draft or TaskState.Ready or TaskState.Blocked))
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{downstream.Id} is {downstream.State}; dependencies are added before a task starts");
        }

        if (upstream.State == TaskState.Cancelled)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{upstream.Id} is cancelled and will never seal");
        }

        var pending = upstream.State == TaskState.Sealed ? downstream.PendingUpstreamIds : downstream.PendingUpstreamIds.Add(upstream.Id);
        var blocks = downstream.State == TaskState.Ready && !pending.IsEmpty;
        var next = downstream with
        {
            UpstreamIds = downstream.UpstreamIds.Add(upstream.Id),
            PendingUpstreamIds = pending,
            State = blocks ? TaskState.Blocked : downstream.State,
            UpdatedAt = now,
        };
        var ledger = new List<LedgerEntry>
        {
            GovernanceLedger.Entry("dependency.added", downstream.Id, by.Id, reason, now, new JsonObject { ["upstream"] = upstream.Id }),
        };
        if (blocks)
        {
            ledger.Add(TaskLifecycle.Transition(downstream, next, by.Id, $"waits on {upstream.Id}", now));
        }

        return Decision.Accept(new DependencyAdded(next, edge), ledger);
    }

    /// <summary>
    /// Re-evaluates the direct downstream tasks of a task that just sealed (the caller loads exactly those via the
    /// index). Idempotent: a task that no longer waits on it is left alone.
    /// </summary>
    public static Decision<DependencyRelease> OnUpstreamSealed(GovernedTask sealedUpstream, IReadOnlyList<GovernedTask> downstream, DateTimeOffset now)
    {
        if (sealedUpstream is not { State: TaskState.Sealed, Seal: { } seal })
        {
            return Decision.Refuse(RefusalCode.Conflict, $"{sealedUpstream.Id} is {sealedUpstream.State}, not sealed");
        }

        var updated = ImmutableArray.CreateBuilder<GovernedTask>();
        var released = ImmutableArray.CreateBuilder<string>();
        List<LedgerEntry>? ledger = null;
        List<Notification>? notifications = null;
        foreach (var task in downstream)
        {
            var index = task.PendingUpstreamIds.IndexOf(sealedUpstream.Id);
            if (index < 0)
            {
                continue;
            }

            var pending = task.PendingUpstreamIds.RemoveAt(index);
            var release = pending.IsEmpty && task.State == TaskState.Blocked;
            var next = task with { PendingUpstreamIds = pending, State = release ? TaskState.Ready : task.State, UpdatedAt = now };
            updated.Add(next);
            if (release)
            {
                released.Add(task.Id);
                (ledger ??= []).Add(TaskLifecycle.Transition(task, next, GovernanceLedger.SystemActor, $"every upstream sealed; last was {sealedUpstream.Id}", now));
                (notifications ??= []).Add(new Notification(
                    "task.released",
                    task.OwnerId,
                    $"{task.Id} can start",
                    $"{sealedUpstream.Id} sealed its evidence bundle; every upstream of {task.Id} is sealed, so it is released.",
                    new JsonObject { ["task"] = task.Id, ["upstream"] = sealedUpstream.Id, ["bundleDigest"] = seal.BundleDigest }));
            }
        }

        return Decision.Accept(new DependencyRelease(sealedUpstream.Id, updated.ToImmutable(), released.ToImmutable(), downstream.Count), ledger, notifications);
    }

    /// <param name="upstreams">The task's upstream rows, for titles, states and seal times; any missing show by id only.</param>
    public static DependencyGateStatus Evaluate(GovernedTask task, IReadOnlyList<GovernedTask> upstreams)
    {
        var byId = upstreams.ToDictionary(u => u.Id);
        var items = task.UpstreamIds.Select(id =>
        {
            var row = byId.GetValueOrDefault(id);
            return new UpstreamProgress(id, row?.Title, row?.State, !task.PendingUpstreamIds.Contains(id), row?.Seal);
        }).ToImmutableArray();
        return new DependencyGateStatus(items);
    }
}

/// <summary>The downstream row after the edge was added, and the adjacency row to store.</summary>
public sealed record DependencyAdded(GovernedTask Downstream, DependencyEdge Edge);

/// <param name="Updated">The downstream rows that changed; write exactly these.</param>
/// <param name="Released">Tasks that moved Blocked → Ready.</param>
/// <param name="Touched">Downstream rows evaluated (what the caller loaded through the index).</param>
public sealed record DependencyRelease(string UpstreamTaskId, ImmutableArray<GovernedTask> Updated, ImmutableArray<string> Released, int Touched);

public sealed record UpstreamProgress(string TaskId, string? Title, TaskState? State, bool Sealed, TaskSeal? Seal);

public sealed record DependencyGateStatus(ImmutableArray<UpstreamProgress> Upstreams)
{
    public int Cleared => Upstreams.Count(u => u.Sealed);

    public int Total => Upstreams.Length;

    public bool IsClear => Cleared == Total;

    /// <summary>"3 / 3 cleared".</summary>
    public string Progress => $"{Cleared} / {Total} cleared";

    public DateTimeOffset? ClearedAt => IsClear ? Upstreams.Select(u => u.Seal?.SealedAt).Max() : null;
}
