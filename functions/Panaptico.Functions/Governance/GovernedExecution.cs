using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.DurableTask.Client;
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
public sealed record TaskCompletion(StoredTask Stored, SealedBundle? Bundle);

public sealed record TaskPage(StoredTask Stored, TaskView View);

public sealed record PlanPage(Plan Plan, ImmutableArray<WaveExit> Waves);

/// <summary>
/// Runs governance decisions against storage: read the task, decide (the pure domain), write with the task row's ETag
/// and, in the same transaction, the decision's ledger entries and notifications as outbox rows of the task's
/// partition (<see cref="TaskOutbox"/>, each carrying an id the ledger and notifier de-duplicate on), then dispatch
/// them with whatever earlier writes left. A write that loses a race is decided again on the fresh record (up to
/// <see cref="MaxAttempts"/> times); a refusal writes nothing.
/// </summary>
/// <remarks>
/// What a write leaves for later goes to the Durable Task engine: a caller that passes a
/// <see cref="DurableTaskClient"/> (an HTTP function) has the write's follow-up scheduled before the commit
/// (<see cref="GateHolds"/>): it dispatches what a crash after the commit left undispatched, holds the approval seats
/// and telemetry windows the write opened, and releases downstream tasks after a seal. Activities pass none: the engine
/// re-runs them, and a re-run reads and dispatches what the first run left.
/// </remarks>
public sealed class GovernedExecution(
    TaskRepository tasks,
    PlanRepository plans,
    DependencyIndex edges,
    TaskOutbox outbox,
    ILedgerAppender ledger,
    EvidenceSealer sealer,
    GovernanceOptions options,
    TimeProvider time)
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

        // A plan is created once, so its entries are keyed by its id: appending them again lands nothing.
        await Task.WhenAll(decision.Ledger.Select((e, i) => ledger.AppendAsync(e with { EntryId = $"{id}/created/{i}" }, CancellationToken.None)).ToList());
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
    public async Task<Answer<StoredTask>> CreateTaskAsync(NewTask spec, Principal by, DurableTaskClient? durable, CancellationToken cancellationToken)
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

        // Everything that can refuse is asked before the first write (edges, the follow-up, the task's partition).
        var record = decision.Value.Record;
        var effects = new TaskEffects(decision.Ledger, decision.Notifications);
        if (TaskRepository.CannotCreate(record, effects) is { } tooLarge)
        {
            return Decision.Refuse(RefusalCode.Invalid, tooLarge);
        }

        await edges.AddAsync(decision.Value.Edges, cancellationToken);
        await FollowUpAsync(durable, spec.Id, 1, null, record, decision.Ledger, decision.Notifications);
        StoredTask created;
        try
        {
            created = await tasks.CreateAsync(record, effects, cancellationToken);
        }
        catch (TaskExistsException e)
        {
            return Decision.Refuse(RefusalCode.Conflict, e.Message);
        }

        await plans.AddMemberAsync(plan.Id, spec.Id, spec.WaveId, CancellationToken.None);
        await outbox.DispatchAsync(created.Outbox, CancellationToken.None);
        // An upstream that sealed between our read and our write released no one: catch up with it now.
        await CatchUpAsync(spec.Id);
        return (await tasks.GetAsync(spec.Id, CancellationToken.None))!;
    }

    /// <summary>Makes a task wait on another; refuses an edge that would close a cycle, naming it.</summary>
    public async Task<Answer<StoredTask>> AddDependencyAsync(string taskId, string upstreamId, string reason, Principal by, DurableTaskClient? durable, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetRowAsync(taskId, cancellationToken) is not { } downstream)
            {
                return NoTask(taskId);
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
            await FollowUpAsync(durable, taskId, downstream.Version + 1, null, null, decision.Ledger, decision.Notifications);
            StoredTaskRow saved;
            try
            {
                saved = await tasks.SaveRowAsync(downstream, decision.Value.Downstream, new TaskEffects(decision.Ledger, decision.Notifications), CancellationToken.None);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            await outbox.DispatchAsync(saved.Outbox, CancellationToken.None);
            await CatchUpAsync(taskId);
            return (await tasks.GetAsync(taskId, CancellationToken.None))!;
        }

        return Contended(taskId);
    }

    /// <summary>Reads, decides and writes one task; decided again on the fresh record when the write lost a race.</summary>
    /// <param name="durable">The client to schedule the write's follow-up with; null inside an activity.</param>
    public async Task<Answer<TaskUpdate>> UpdateAsync(
        string taskId, Func<TaskRecord, DateTimeOffset, Decision<TaskRecord>> decide, DurableTaskClient? durable, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return NoTask(taskId);
            }

            var decision = decide(stored.Record, time.GetUtcNow());
            if (!decision.IsAccepted)
            {
                return decision.Refusal;
            }

            if (ReferenceEquals(decision.Value, stored.Record))
            {
                // Nothing to write; what an earlier (stopped) write left is still delivered.
                await outbox.DispatchAsync(stored.Pending, CancellationToken.None);
                return new TaskUpdate(stored, Changed: false);
            }

            try
            {
                var saved = await SaveAsync(stored, decision.Value, decision.Ledger, decision.Notifications, durable);
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
    public async Task<Answer<TaskUpdate>> RecordOutcomeAsync(
        string taskId, int step, string itemId, RunbookResult result, string? note, Principal by, DurableTaskClient? durable, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return NoTask(taskId);
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
                var saved = await SaveAsync(stored, parent, decision.Ledger, decision.Notifications, durable);
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
    /// The completion lock, then the seal: sealer → <see cref="TaskLifecycle.Seal"/> → store. The seal's follow-up (and
    /// the caller, right after) releases the direct downstream tasks through the <c>ReleaseDownstream</c> orchestration.
    /// Completing a sealed task answers it with no new bundle.
    /// </summary>
    public async Task<Answer<TaskCompletion>> CompleteAsync(string taskId, Principal by, DurableTaskClient? durable, CancellationToken cancellationToken)
    {
        (string Request, SealedBundle Bundle)? sealedBefore = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
            {
                return NoTask(taskId);
            }

            if (stored.Record.Task.State == TaskState.Sealed)
            {
                await outbox.DispatchAsync(stored.Pending, CancellationToken.None);
                return new TaskCompletion(stored, null);
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

            try
            {
                var saved = await SaveAsync(stored, seal.Value, seal.Ledger, seal.Notifications, durable);
                return new TaskCompletion(saved, bundle);
            }
            catch (TaskConflictException)
            {
            }
        }

        return Contended(taskId);
    }

    public async Task<Answer<TaskPage>> GetTaskAsync(string taskId, CancellationToken cancellationToken)
    {
        if (await tasks.GetAsync(taskId, cancellationToken) is not { } stored)
        {
            return NoTask(taskId);
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

    public static Refusal NoTask(string taskId) => Decision.Refuse(RefusalCode.NotFound, $"task {taskId} does not exist");

    /// <summary>Applies releases of upstreams that sealed while this task's rows were being written.</summary>
    private async Task CatchUpAsync(string taskId)
    {
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

            StoredTaskRow saved;
            try
            {
                saved = await tasks.SaveRowAsync(row, task, new TaskEffects([.. entries], [.. notifications]), CancellationToken.None);
            }
            catch (TaskConflictException)
            {
                continue;
            }

            await outbox.DispatchAsync(saved.Outbox, CancellationToken.None);
            return;
        }
    }

    /// <summary>
    /// The guarded write with the decision's effects as outbox rows, its follow-up scheduled first (so a stop right
    /// after the commit still has one), then everything the partition holds undispatched, in order.
    /// </summary>
    private async Task<StoredTask> SaveAsync(StoredTask stored, TaskRecord next, ImmutableArray<LedgerEntry> entries, ImmutableArray<Notification> notifications, DurableTaskClient? durable)
    {
        // Not cancellable: once decided, the write and its ledger entries go together.
        await FollowUpAsync(durable, next.Id, stored.Version + 1, stored.Record, next, entries, notifications);
        var saved = await tasks.SaveAsync(stored, next, new TaskEffects(entries, notifications), CancellationToken.None);
        await outbox.DispatchAsync([.. stored.Pending, .. saved.Outbox], CancellationToken.None);
        return saved;
    }

    private Task FollowUpAsync(
        DurableTaskClient? durable, string taskId, long version, TaskRecord? before, TaskRecord? after,
        ImmutableArray<LedgerEntry> entries, ImmutableArray<Notification> notifications)
    {
        if (durable is null)
        {
            return Task.CompletedTask;
        }

        var followUp = TaskFollowUpInput.Of(taskId, version, before, after, options);
        var hasEffects = !entries.IsDefaultOrEmpty || !notifications.IsDefaultOrEmpty;
        return hasEffects || followUp.HasHolds ? GateHolds.ScheduleFollowUpAsync(durable, followUp, CancellationToken.None) : Task.CompletedTask;
    }

    private static Refusal? InvalidId(string what, string id) =>
        GovernanceKeys.IsValid(id)
            ? null
            : Decision.Refuse(RefusalCode.Invalid, $"'{id}' is not a valid {what} id: letters, digits, '.', '_' and '-', at most 100 characters");

    private static Refusal Contended(string taskId) =>
        Decision.Refuse(RefusalCode.Conflict, $"{taskId} kept changing while this request was applied ({MaxAttempts} attempts); nothing was written, retry");
}
