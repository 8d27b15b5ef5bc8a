using System.Collections.Immutable;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.Tasks;

namespace Panaptico.Storage.Governance;

/// <param name="Touched">Downstream rows read: exactly the sealed task's adjacency partition.</param>
/// <param name="Written">Rows written (those that still waited on the sealed task).</param>
/// <param name="Released">Tasks moved Blocked → Ready.</param>
public sealed record ReleaseSummary(int Touched, int Written, ImmutableArray<string> Released);

/// <summary>
/// What a seal does to the tasks waiting on it: one query of the sealed task's adjacency partition, one read of each
/// direct downstream task row, <see cref="DependencyGate.OnUpstreamSealed"/>, and a write of each row that changed,
/// guarded by its own ETag (a lost race re-reads that row and decides again). Idempotent: a task that no longer waits
/// on the sealed task is left alone, so replaying a release changes nothing. With a <see cref="TaskOutbox"/>, each
/// downstream task's ledger entries and notifications are outbox rows of its own write, dispatched after it commits.
/// </summary>
public sealed class DownstreamRelease(TaskRepository tasks, DependencyIndex edges, TaskOutbox? outbox, TimeProvider time)
{
    public const int MaxAttempts = 5;

    /// <summary>Without an outbox: the caller's <c>publish</c> carries each decision's effects (benchmarks).</summary>
    public DownstreamRelease(TaskRepository tasks, DependencyIndex edges, TimeProvider time)
        : this(tasks, edges, null, time)
    {
    }

    /// <param name="publish">Called after each row is written (and, with an outbox, its effects dispatched), with the decision.</param>
    public async Task<ReleaseSummary> RunAsync(GovernedTask sealedTask, Func<Decision<DependencyRelease>, Task> publish, CancellationToken cancellationToken)
    {
        var released = ImmutableArray.CreateBuilder<string>();
        var written = 0;
        var downstream = await edges.DownstreamOfAsync(sealedTask.Id, cancellationToken);
        foreach (var id in downstream.Order(StringComparer.Ordinal))
        {
            if (outbox is not null)
            {
                await outbox.DispatchAbandonedAsync(id, cancellationToken);
            }

            for (var attempt = 1; attempt <= MaxAttempts; attempt++)
            {
                if (await tasks.GetRowAsync(id, cancellationToken) is not { } row)
                {
                    break; // an edge written ahead of a task whose creation failed
                }

                var decision = DependencyGate.OnUpstreamSealed(sealedTask, [row.Task], time.GetUtcNow());
                if (!decision.IsAccepted || decision.Value.Updated.IsEmpty)
                {
                    break;
                }

                var effects = outbox is null ? null : new TaskEffects(decision.Ledger, decision.Notifications, time.GetUtcNow());
                var mark = effects is { IsEmpty: false } ? await outbox!.MarkAsync(id, cancellationToken) : default;
                StoredTaskRow saved;
                try
                {
                    saved = await tasks.SaveRowAsync(row, decision.Value.Updated[0], effects, cancellationToken);
                }
                catch (TaskConflictException)
                {
                    continue;
                }

                if (outbox is not null)
                {
                    await outbox.DispatchAsync(id, saved.Outbox, mark, cancellationToken);
                }

                written++;
                released.AddRange(decision.Value.Released);
                await publish(decision);
                break;
            }
        }

        return new ReleaseSummary(downstream.Count, written, released.ToImmutable());
    }
}
