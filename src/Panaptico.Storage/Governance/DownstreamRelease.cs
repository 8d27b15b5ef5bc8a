using System.Collections.Immutable;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

/// <param name="Touched">Downstream rows read: exactly the sealed task's adjacency partition.</param>
/// <param name="Written">Rows written (those that still waited on the sealed task).</param>
/// <param name="Released">Tasks moved Blocked → Ready.</param>
public sealed record ReleaseSummary(int Touched, int Written, ImmutableArray<string> Released);

/// <param name="Written">The downstream row was written (it still waited on the sealed task).</param>
/// <param name="Released">It moved Blocked → Ready.</param>
public sealed record TaskRelease(string TaskId, bool Written, bool Released);

/// <summary>
/// What a seal does to one task waiting on it: one read of the downstream task row,
/// <see cref="DependencyGate.OnUpstreamSealed"/>, and a write of the row if it changed, guarded by its ETag (a lost
/// race re-reads the row and decides again), with the decision's ledger entries and notifications in the outbox of the
/// same transaction, dispatched after. Idempotent: a task that no longer waits on the sealed task is left alone, and
/// what an earlier run left in its outbox is dispatched first, so a retried release lands each effect once.
/// </summary>
public sealed class DownstreamRelease(TaskRepository tasks, DependencyIndex edges, TaskOutbox outbox, TimeProvider time)
{
    public const int MaxAttempts = 5;

    /// <summary>The direct downstream task ids of <paramref name="upstreamId"/>: one partition query.</summary>
    public Task<IReadOnlyList<string>> DownstreamOfAsync(string upstreamId, CancellationToken cancellationToken) =>
        edges.DownstreamOfAsync(upstreamId, cancellationToken);

    /// <summary>Releases <paramref name="downstreamId"/> from <paramref name="sealedTask"/> if it still waits on it.</summary>
    /// <exception cref="TaskConflictException">The row kept changing for <see cref="MaxAttempts"/> attempts; nothing was written.</exception>
    public async Task<TaskRelease> ReleaseAsync(GovernedTask sealedTask, string downstreamId, CancellationToken cancellationToken)
    {
        await outbox.DispatchPendingAsync(downstreamId, cancellationToken);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetRowAsync(downstreamId, cancellationToken) is not { } row)
            {
                return new TaskRelease(downstreamId, false, false); // an edge written ahead of a task whose creation failed
            }

            var decision = DependencyGate.OnUpstreamSealed(sealedTask, [row.Task], time.GetUtcNow());
            if (!decision.IsAccepted || decision.Value.Updated.IsEmpty)
            {
                return new TaskRelease(downstreamId, false, false);
            }

            StoredTaskRow saved;
            try
            {
                saved = await tasks.SaveRowAsync(row, decision.Value.Updated[0], new TaskEffects(decision.Ledger, decision.Notifications), cancellationToken);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            await outbox.DispatchAsync(saved.Outbox, cancellationToken);
            return new TaskRelease(downstreamId, true, decision.Value.Released.Contains(downstreamId));
        }

        throw new TaskConflictException(downstreamId);
    }

    /// <summary>Every direct downstream task of <paramref name="sealedTask"/>, one after another (benchmarks, tests).</summary>
    public async Task<ReleaseSummary> RunAsync(GovernedTask sealedTask, CancellationToken cancellationToken)
    {
        var downstream = await DownstreamOfAsync(sealedTask.Id, cancellationToken);
        var results = new List<TaskRelease>();
        foreach (var id in downstream.Order(StringComparer.Ordinal))
        {
            results.Add(await ReleaseAsync(sealedTask, id, cancellationToken));
        }

        return new ReleaseSummary(downstream.Count, results.Count(r => r.Written), [.. results.Where(r => r.Released).Select(r => r.TaskId)]);
    }
}
