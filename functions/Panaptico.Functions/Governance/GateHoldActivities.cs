using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Governance;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.EvidenceGates;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Storage.Governance;

namespace Panaptico.Functions.Governance;

/// <summary>
/// The gate holds' activities. Each runs at least once; each re-reads the task and decides on what is stored, writes
/// with the decision's effects in the task's own transaction and dispatches everything the task's outbox holds, so a
/// re-run after a stop delivers what the first run committed and decides nothing twice.
/// </summary>
/// <remarks>
/// A timer that fired is the clock of record for its deadline: the expiry is decided at the later of this instance's
/// clock and the deadline, so an instance whose clock lags does not find the seat "not yet due".
/// </remarks>
public sealed class GateHoldActivities(GovernedExecution execution, TaskRepository tasks, TaskOutbox outbox, DownstreamRelease release)
{
    /// <summary>Dispatches what the task's outbox holds; answers the task's version (0 when it does not exist).</summary>
    [Function(nameof(DispatchTaskEffects))]
    public async Task<long> DispatchTaskEffects([ActivityTrigger] string taskId)
    {
        // The version first: rows of any write it counts are then in the partition when the outbox is read.
        var version = (await tasks.GetRowAsync(taskId, CancellationToken.None))?.Version ?? 0;
        await outbox.DispatchPendingAsync(taskId, CancellationToken.None);
        return version;
    }

    /// <summary>Re-routes or expires the task's seats due by the hold's expiry; the seat's new expiry if this re-routed it.</summary>
    [Function(nameof(ExpireApprovalSeats))]
    public async Task<GateHoldOutcome> ExpireApprovalSeats([ActivityTrigger] GateHoldInput hold)
    {
        var due = hold.ExpiresAt;
        var update = await execution.UpdateAsync(hold.TaskId, (record, now) => TaskApprovals.ExpireDue(record, Max(now, due)), durable: null, CancellationToken.None);
        if (!update.IsAccepted)
        {
            return new GateHoldOutcome(Gone(update.Refusal), null);
        }

        var record = update.Value.Stored.Record;
        var seat = record.Approvals?.Seats.FirstOrDefault(s => s.Id == hold.SeatId);
        if (record.Task.IsTerminal || record.Approvals is not { State: ApprovalGateState.Open } || seat is null)
        {
            return new GateHoldOutcome(record.Task.IsTerminal ? $"task {record.Task.State}" : $"gate {record.Approvals?.State.ToString() ?? "gone"}", null);
        }

        // Re-routed at or after this hold's expiry (by this run, or by a run of it that stopped before answering): this
        // hold follows the seat to its new expiry. A seat re-opened otherwise got its own hold from the write that did it.
        var rerouted = seat is { State: SeatState.Open, ReroutedFrom: not null, OpenedAt: { } openedAt, ExpiresAt: { } expiresAt }
            && openedAt >= due && expiresAt > due;
        return new GateHoldOutcome(seat.State.ToString(), rerouted ? seat.ExpiresAt : null);
    }

    /// <summary>Notes that the window elapsed and asks the owner for the export covering it (once per window start).</summary>
    [Function(nameof(CloseTelemetryWindow))]
    public async Task<string> CloseTelemetryWindow([ActivityTrigger] WindowHoldInput window)
    {
        var update = await execution.UpdateAsync(window.TaskId,
            (record, now) => EvidenceGate.WindowElapsed(record, window.RequirementId, window.StartedAt, Max(now, window.EndsAt)), durable: null, CancellationToken.None);
        return !update.IsAccepted ? Gone(update.Refusal) : update.Value.Changed ? "elapsed" : "unchanged";
    }

    /// <summary>The sealed task's direct downstream task ids; none when the task is not sealed.</summary>
    [Function(nameof(ListSealedDownstream))]
    public async Task<SealedDownstream> ListSealedDownstream([ActivityTrigger] string taskId)
    {
        if (await tasks.GetRowAsync(taskId, CancellationToken.None) is not { Task.State: TaskState.Sealed })
        {
            return new SealedDownstream(false, []);
        }

        // The sealed task's own effects first (a seal whose writer stopped after the commit).
        await outbox.DispatchPendingAsync(taskId, CancellationToken.None);
        return new SealedDownstream(true, [.. (await release.DownstreamOfAsync(taskId, CancellationToken.None)).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Releases one downstream task of a sealed upstream; true when it moved Blocked → Ready.</summary>
    [Function(nameof(ReleaseDownstreamTask))]
    public async Task<bool> ReleaseDownstreamTask([ActivityTrigger] ReleaseTaskInput input)
    {
        if (await tasks.GetRowAsync(input.UpstreamId, CancellationToken.None) is not { Task.State: TaskState.Sealed } upstream)
        {
            return false;
        }

        return (await release.ReleaseAsync(upstream.Task, input.DownstreamId, CancellationToken.None)).Released;
    }

    /// <summary>
    /// The expiry and window decisions never refuse, so a refusal is the task gone (the hold ends) or a task that kept
    /// changing under the write: thrown, so the engine retries the activity rather than the hold ending unapplied.
    /// </summary>
    private static string Gone(Refusal refusal) =>
        refusal.Code == RefusalCode.NotFound ? $"gone: {refusal.Message}" : throw new InvalidOperationException(refusal.Message);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
