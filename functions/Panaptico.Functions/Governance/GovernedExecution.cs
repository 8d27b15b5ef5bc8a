using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Panaptico.Core.Evidence;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Dependencies;
using Panaptico.Core.Governance.Runbooks;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Governance.Views;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Evidence;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>A value, or the refusal that changed nothing.</summary>
public readonly record struct Answer<T>(T? Value, Refusal? Refusal)
    where T : class
{
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool IsAccepted => Refusal is null;

    public static implicit operator Answer<T>(T value) => new(value, null);

    public static implicit operator Answer<T>(Refusal refusal) => new(null, refusal);
}

/// <param name="Changed">False when the decision left the record as it was (nothing written).</param>
public sealed record TaskUpdate(StoredTask Stored, bool Changed);

/// <param name="Bundle">The bundle sealed by this call; null when the task was already sealed.</param>
public sealed record TaskCompletion(StoredTask Stored, SealedBundle? Bundle, ImmutableArray<string> Released);

public sealed record TaskPage(StoredTask Stored, TaskView View);

public sealed record PlanPage(Plan Plan, ImmutableArray<WaveExit> Waves);

/// <summary>
/// Runs governance decisions against storage: read the task, decide (the pure domain), write with the task row's ETag
/// and, in the same transaction, the decision's ledger entries and notifications as outbox rows of the task's partition
/// (<see cref="TaskOutbox"/>), then dispatch them. Every write first takes over rows a stopped writer left behind, and
/// the expiry timer sweeps the rest, so a crash after a commit loses no effect and repeats none. A write that loses a
/// race is decided again on the fresh record (up to <see cref="MaxAttempts"/> times); a refusal writes nothing.
/// </summary>
public sealed class GovernedExecution(
    TaskRepository tasks,
    PlanRepository plans,
    DependencyIndex edges,
    OpenGateIndex openGates,
    DownstreamRelease release,
    TaskOutbox outbox,
    ILedgerAppender ledger,
    INotifier notifier,
    EvidenceSealer sealer,
    TimeProvider time,
    ILogger<GovernedExecution> logger)
{
    public const int MaxAttempts = 5;

    public async Task<Answer<Plan>> CreatePlanAsync(string id, string title, IReadOnlyList<Wave> waves, Principal by, CancellationToken cancellationToken)
    {
        var decision = Plan.Create(id, title, waves, by, time.GetUtcNow());
        if (!decision.IsAccepted)
        {
            return decision.Refusal;
        }

        if (InvalidId("plan", id) is { } invalid)
        {
            return invalid;
        }

        try
        {
            await plans.CreateAsync(decision.Value, cancellationToken);
        }
        catch (PlanExistsException e)
        {
            return Decision.Refuse(RefusalCode.Conflict, e.Message);
        }

        await PublishAsync(decision.Ledger, decision.Notifications);
        return decision.Value;
    }

    public async Task<Answer<PlanPage>> GetPlanAsync(string planId, CancellationToken cancellationToken)
    {
        if (await plans.GetAsync(planId, cancellationToken) is not { } plan)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"plan {planId} does not exist");
        }

        var rows = await tasks.GetRowsAsync(await plans.MembersAsync(planId, cancellationToken), cancellationToken);
        var members = rows.Select(r => r.Task).ToList();
        return new PlanPage(plan, [.. plan.Waves.Select(w => WaveExitGate.Evaluate(w, members))]);
    }

    /// <summary>Creates a task: adjacency rows first, then its partition, then its plan membership.</summary>
    public async Task<Answer<StoredTask>> CreateTaskAsync(NewTask spec, Principal by, CancellationToken cancellationToken)
    {
        if (InvalidId("task", spec.Id) is { } invalid)
        {
            return invalid;
        }

        if (await plans.GetAsync(spec.PlanId, cancellationToken) is not { } plan)
        {
            return Decision.Refuse(RefusalCode.NotFound, $"plan {spec.PlanId} does not exist");
        }

        if (await tasks.GetRowAsync(spec.Id, cancellationToken) is not null)
        {
            return Decision.Refuse(RefusalCode.Conflict, $"task {spec.Id} already exists");
        }

        var upstreams = await tasks.GetRowsAsync(spec.UpstreamIds, cancellationToken);
        var decision = TaskLifecycle.Create(plan, spec, [.. upstreams.Select(u => u.Task)], by, time.GetUtcNow());
        if (!decision.IsAccepted)
        {
            return decision.Refusal;
        }

        await edges.AddAsync(decision.Value.Edges, cancellationToken);
        var effects = Effects(decision.Ledger, decision.Notifications);
        var mark = await MarkAsync(spec.Id, effects);
        StoredTask created;
        try
        {
            created = await tasks.CreateAsync(decision.Value.Record, effects, cancellationToken);
        }
        catch (TaskExistsException e)
        {
            return Decision.Refuse(RefusalCode.Conflict, e.Message);
        }

        await plans.AddMemberAsync(plan.Id, spec.Id, spec.WaveId, CancellationToken.None);
        await outbox.DispatchAsync(spec.Id, created.Outbox, mark, CancellationToken.None);
        // An upstream that sealed between our read and our write released no one: catch up with it now.
        await CatchUpAsync(spec.Id);
        return (await tasks.GetAsync(spec.Id, CancellationToken.None))!;
    }

    /// <summary>Makes a task wait on another; refuses an edge that would close a cycle, naming it.</summary>
    public async Task<Answer<StoredTask>> AddDependencyAsync(string taskId, string upstreamId, string reason, Principal by, CancellationToken cancellationToken)
    {
        await TakeOverAsync(taskId, cancellationToken);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetRowAsync(taskId, cancellationToken) is not { } downstream)
            {
                return GovernanceProblems.NoTask(taskId);
            }

            if (await tasks.GetRowAsync(upstreamId, cancellationToken) is not { } upstream)
            {
                return Decision.Refuse(RefusalCode.NotFound, $"upstream task {upstreamId} does not exist");
            }

            // A cycle through the new edge must come back to the upstream along edges downstream of the downstream task.
            var graph = await edges.DownstreamGraphAsync(taskId, cancellationToken);
            var decision = DependencyGate.AddDependency(graph, upstream.Task, downstream.Task, by, reason, time.GetUtcNow());
            if (!decision.IsAccepted)
            {
                return decision.Refusal;
            }

            await edges.AddAsync([decision.Value.Edge], cancellationToken);
            var effects = Effects(decision.Ledger, decision.Notifications);
            var mark = await MarkAsync(taskId, effects);
            StoredTaskRow saved;
            try
            {
                saved = await tasks.SaveRowAsync(downstream, decision.Value.Downstream, effects, CancellationToken.None);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            await outbox.DispatchAsync(taskId, saved.Outbox, mark, CancellationToken.None);
            await CatchUpAsync(taskId);
            return (await tasks.GetAsync(taskId, CancellationToken.None))!;
        }

        return Contended(taskId);
    }

    /// <summary>Reads, decides and writes one task; decided again on the fresh record when the write lost a race.</summary>
    public async Task<Answer<TaskUpdate>> UpdateAsync(string taskId, Func<TaskRecord, DateTimeOffset, Decision<TaskRecord>> decide, CancellationToken cancellationToken)
    {
        await TakeOverAsync(taskId, cancellationToken);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return GovernanceProblems.NoTask(taskId);
            }

            var decision = decide(stored.Record, time.GetUtcNow());
            if (!decision.IsAccepted)
            {
                return decision.Refusal;
            }

            if (ReferenceEquals(decision.Value, stored.Record))
            {
                return new TaskUpdate(stored, Changed: false);
            }

            try
            {
                var saved = await SaveAsync(stored, decision.Value, decision.Ledger, decision.Notifications);
                return new TaskUpdate(saved, Changed: true);
            }
            catch (TaskConflictException)
            {
                // Lost the race: nothing was written; decide again on what won.
            }
        }

        return Contended(taskId);
    }

    /// <summary>Records a runbook Pass/Fail; a Fail creates its sub-task (and its edge) before the parent is written.</summary>
    public async Task<Answer<TaskUpdate>> RecordOutcomeAsync(string taskId, int step, string itemId, RunbookResult result, string? note, Principal by, CancellationToken cancellationToken)
    {
        await TakeOverAsync(taskId, cancellationToken);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return GovernanceProblems.NoTask(taskId);
            }

            var decision = RunbookRun.RecordOutcome(stored.Record, step, itemId, result, note, by, time.GetUtcNow());
            if (!decision.IsAccepted)
            {
                return decision.Refusal;
            }

            var (parent, subTask, edge) = decision.Value;
            if (subTask is not null && edge is not null)
            {
                await edges.AddAsync([edge], cancellationToken);
                try
                {
                    await tasks.CreateAsync(subTask, cancellationToken);
                }
                catch (TaskExistsException e)
                {
                    return Decision.Refuse(RefusalCode.Conflict, e.Message);
                }

                await plans.AddMemberAsync(subTask.Task.PlanId, subTask.Id, subTask.Task.WaveId, CancellationToken.None);
            }

            try
            {
                var saved = await SaveAsync(stored, parent, decision.Ledger, decision.Notifications);
                return new TaskUpdate(saved, Changed: true);
            }
            catch (TaskConflictException)
            {
                if (subTask is not null && edge is not null)
                {
                    // The parent moved on without this outcome: undo the sub-task it would have opened.
                    await tasks.DeleteAsync(subTask.Id, CancellationToken.None);
                    await edges.RemoveAsync(edge, CancellationToken.None);
                }
            }
        }

        return Contended(taskId);
    }

    /// <summary>
    /// The completion lock, then the seal: sealer → <see cref="TaskLifecycle.Seal"/> → store → release the direct
    /// downstream tasks through the adjacency rows. Completing a sealed task only repeats the (idempotent) release.
    /// </summary>
    public async Task<Answer<TaskCompletion>> CompleteAsync(string taskId, Principal by, CancellationToken cancellationToken)
    {
        (string Request, SealedBundle Bundle)? sealedBefore = null;
        await TakeOverAsync(taskId, cancellationToken);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return GovernanceProblems.NoTask(taskId);
            }

            if (stored.Record.Task.State == TaskState.Sealed)
            {
                return new TaskCompletion(stored, null, await ReleaseDownstreamAsync(stored.Record.Task));
            }

            var upstreams = await tasks.GetRowsAsync(stored.Record.Task.UpstreamIds, cancellationToken);
            var complete = TaskLifecycle.Complete(stored.Record, [.. upstreams.Select(u => u.Task)], by, time.GetUtcNow());
            if (!complete.IsAccepted)
            {
                return complete.Refusal;
            }

            // A retry after a lost race re-uses the bundle already sealed for the very same request.
            var request = GovernanceJson.Serialize(complete.Value);
            SealedBundle bundle;
            if (sealedBefore is { } before && before.Request == request)
            {
                bundle = before.Bundle;
            }
            else
            {
                try
                {
                    bundle = await sealer.SealAsync(complete.Value, by.Id, cancellationToken);
                }
                catch (Exception e) when (e is ArtifactNotInVaultException or ImmutabilityNotEnforcedException or BundleSealingException)
                {
                    return Decision.Refuse(RefusalCode.Conflict, $"sealing {taskId} refused: {e.Message}");
                }

                sealedBefore = (request, bundle);
            }

            var seal = TaskLifecycle.Seal(stored.Record, bundle.Digest, by, time.GetUtcNow());
            if (!seal.IsAccepted)
            {
                return seal.Refusal;
            }

            StoredTask saved;
            try
            {
                saved = await SaveAsync(stored, seal.Value, seal.Ledger, seal.Notifications);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            return new TaskCompletion(saved, bundle, await ReleaseDownstreamAsync(saved.Record.Task));
        }

        return Contended(taskId);
    }

    /// <summary>Releases the sealed task's direct downstream tasks (idempotent); see <see cref="DownstreamRelease"/>.</summary>
    public async Task<ImmutableArray<string>> ReleaseDownstreamAsync(GovernedTask sealedTask)
    {
        // Not cancellable: the seal is stored, so its release must run to the end. Each downstream write carries its
        // own effects in its outbox, so there is nothing left to publish here.
        var summary = await release.RunAsync(sealedTask, _ => Task.CompletedTask, CancellationToken.None);
        return summary.Released;
    }

    public async Task<Answer<TaskPage>> GetTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
        {
            return GovernanceProblems.NoTask(taskId);
        }

        var upstreams = await tasks.GetRowsAsync(stored.Record.Task.UpstreamIds, cancellationToken);
        var downstreamIds = await edges.DownstreamOfAsync(taskId, cancellationToken);
        var downstream = await Task.WhenAll(downstreamIds.Select(id => tasks.GetAsync(id, cancellationToken)));
        var view = TaskView.Build(
            stored.Record,
            [.. upstreams.Select(u => u.Task)],
            [.. downstream.OfType<StoredTask>().Select(d => d.Record).OrderBy(r => r.Id, StringComparer.Ordinal)],
            time.GetUtcNow());
        return new TaskPage(stored, view);
    }

    /// <summary>
    /// The expiry sweep: first the outbox rows stopped writers left (only tasks of the pending index), then only the
    /// tasks the open-gate index says are due; each is re-indexed after.
    /// </summary>
    /// <returns>How many tasks changed (seats re-routed or expired).</returns>
    public async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        var dispatched = await outbox.SweepAsync(cancellationToken);
        if (dispatched > 0)
        {
            logger.LogInformation("outbox sweep dispatched {Count} ledger entries and notifications left by stopped writers", dispatched);
        }

        var changed = 0;
        foreach (var id in await openGates.DueAsync(time.GetUtcNow(), cancellationToken))
        {
            var update = await UpdateAsync(id, TaskApprovals.ExpireDue, cancellationToken);
            if (!update.IsAccepted)
            {
                if (update.Refusal.Code == RefusalCode.NotFound)
                {
                    await openGates.SyncAsync(id, long.MaxValue, null, cancellationToken);
                }
                else
                {
                    logger.LogWarning("approval expiry of {TaskId} did not apply: {Reason}", id, update.Refusal.Message);
                }

                continue;
            }

            var stored = update.Value.Stored;
            await openGates.SyncAsync(id, stored.Version, OpenGateIndex.NextExpiryOf(stored.Record), cancellationToken);
            changed += update.Value.Changed ? 1 : 0;
        }

        return changed;
    }

    /// <summary>Applies releases of upstreams that sealed while this task's rows were being written.</summary>
    private async Task CatchUpAsync(string taskId)
    {
        await TakeOverAsync(taskId, CancellationToken.None);
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetRowAsync(taskId, CancellationToken.None) is not { Task.PendingUpstreamIds.IsEmpty: false } row)
            {
                return;
            }

            var sealedUpstreams = (await tasks.GetRowsAsync(row.Task.PendingUpstreamIds, CancellationToken.None))
                .Where(u => u.Task.State == TaskState.Sealed)
                .ToList();
            if (sealedUpstreams.Count == 0)
            {
                return;
            }

            var task = row.Task;
            var entries = new List<LedgerEntry>();
            var notifications = new List<Notification>();
            foreach (var upstream in sealedUpstreams)
            {
                var release = DependencyGate.OnUpstreamSealed(upstream.Task, [task], time.GetUtcNow());
                if (release.IsAccepted && !release.Value.Updated.IsEmpty)
                {
                    task = release.Value.Updated[0];
                    entries.AddRange(release.Ledger);
                    notifications.AddRange(release.Notifications);
                }
            }

            var effects = Effects([.. entries], [.. notifications]);
            var mark = await MarkAsync(taskId, effects);
            StoredTaskRow saved;
            try
            {
                saved = await tasks.SaveRowAsync(row, task, effects, CancellationToken.None);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            await outbox.DispatchAsync(taskId, saved.Outbox, mark, CancellationToken.None);
            return;
        }
    }

    /// <summary>
    /// The guarded write with the decision's effects as outbox rows (dispatched after the commit), and the open-gate
    /// index kept early: lowered before the write when a seat's expiry moves, synced to the exact time after it.
    /// </summary>
    private async Task<StoredTask> SaveAsync(StoredTask stored, TaskRecord next, ImmutableArray<LedgerEntry> entries, ImmutableArray<Notification> notifications)
    {
        var before = OpenGateIndex.NextExpiryOf(stored.Record);
        var after = OpenGateIndex.NextExpiryOf(next);
        if (after is { } at && after != before)
        {
            await openGates.MarkAsync(next.Id, at, CancellationToken.None);
        }

        // Not cancellable: once decided, the write and its ledger entries go together.
        var effects = Effects(entries, notifications);
        var mark = await MarkAsync(next.Id, effects);
        var saved = await tasks.SaveAsync(stored, next, effects, CancellationToken.None);
        if (after != before)
        {
            await openGates.SyncAsync(next.Id, saved.Version, after, CancellationToken.None);
        }

        await outbox.DispatchAsync(next.Id, saved.Outbox, mark, CancellationToken.None);
        return saved;
    }

    private TaskEffects Effects(ImmutableArray<LedgerEntry> entries, ImmutableArray<Notification> notifications) =>
        new(entries, notifications, time.GetUtcNow());

    /// <summary>Marks the task in the outbox's pending index before a commit that writes outbox rows.</summary>
    private async Task<Azure.ETag> MarkAsync(string taskId, TaskEffects effects) =>
        effects.IsEmpty ? default : await outbox.MarkAsync(taskId, CancellationToken.None);

    /// <summary>Dispatches what a stopped writer left in the task's outbox, before this write adds its own.</summary>
    private async Task TakeOverAsync(string taskId, CancellationToken cancellationToken)
    {
        if (GovernanceKeys.IsValid(taskId))
        {
            await outbox.DispatchAbandonedAsync(taskId, cancellationToken);
        }
    }

    /// <summary>Appends in the decision's order (the ledger queues each append as it is called), then notifies.</summary>
    private async Task PublishAsync(ImmutableArray<LedgerEntry> entries, ImmutableArray<Notification> notifications)
    {
        await Task.WhenAll(entries.Select(e => ledger.AppendAsync(e, CancellationToken.None)).ToList());
        foreach (var notification in notifications)
        {
            await notifier.NotifyAsync(notification, CancellationToken.None);
        }
    }

    private static Refusal? InvalidId(string what, string id) =>
        GovernanceKeys.IsValid(id)
            ? null
            : Decision.Refuse(RefusalCode.Invalid, $"'{id}' is not a valid {what} id: letters, digits, '.', '_' and '-', at most 100 characters");

    private static Refusal Contended(string taskId) =>
        Decision.Refuse(RefusalCode.Conflict, $"{taskId} kept changing while this request was applied ({MaxAttempts} attempts); nothing was written, retry");
}
