using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Evidence;

namespace Panaptico.Storage.Remediation;

public sealed record DurableChainOptions
{
    /// <summary>How long an outbox row belongs to the dispatcher that claimed it before another may take it over.</summary>
    public TimeSpan DispatchLease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a write step belongs to the message that claimed it; a duplicate message within it is acked unrun.</summary>
    public TimeSpan StepLease { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long the rows of a step's transition that sent its next step message wait for that step to delete them
    /// before a sweep re-dispatches them. The message is in the queue (its step deletes them), or its sender crashed
    /// (then the message that caused them is redelivered, and its new holder takes them over at once): this lease is
    /// only the last resort, so it outlasts any queue backlog.
    /// </summary>
    public TimeSpan ReceiverLease { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Clock skew allowed between instances when looking for a ledger entry an earlier dispatcher appended.</summary>
    public TimeSpan LedgerClockSkew { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How many findings a scan opens at once.</summary>
    public int Parallelism { get; init; } = 16;

    public int MaxConflictRetries { get; init; } = 20;

    /// <summary>
    /// How many further steps the first delivery of a step message runs in-process, one after another, when each step's
    /// transition ends with an immediate step of the same change (instead of a queue round trip per step). 0 turns it off.
    /// </summary>
    public int MaxInlineSteps { get; init; } = 8;

    /// <summary>After this long a step message's run sends its next step through the queue; well inside the message's visibility lease.</summary>
    public TimeSpan InlineBudget { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What opening a change for a finding did: opened <paramref name="ChangeId"/>, or found it already holds the violation.</summary>
public sealed record OpenResult(Finding Finding, ChangeId? ChangeId, bool Opened, string Reason);

/// <summary>The chain's answer to a decision and the change's state after it; <paramref name="State"/> is null when there is no such change.</summary>
public sealed record ChangeDecision(ChainOutcome Outcome, ChangeState? State);

public enum StepOutcome
{
    /// <summary>The step's side effect ran and its transition committed.</summary>
    Ran,

    /// <summary>The change is past (or not yet at) the step's stage: a stale or duplicate message, acked unrun.</summary>
    NotDue,

    /// <summary>No such change.</summary>
    UnknownChange,

    /// <summary>A timer fired early and was re-armed.</summary>
    Rearmed,

    /// <summary>Another message is running this write step; it finishes it (or is redelivered), so this one is acked.</summary>
    RunByAnotherMessage,

    /// <summary>The step failed on its last delivery: the chain is parked as stuck, in the ledger, with an alert.</summary>
    Parked,
}

/// <summary>
/// The remediation chain made durable on Azure Storage: the pure <see cref="ChangeChain"/> decides, this class
/// stores each transition (state + history + outbox in one transaction on the change's partition), runs each step's
/// side effect when its queue message arrives, and dispatches the outbox after commit.
/// </summary>
/// <remarks>
/// Crash safety. A step's side effect is idempotent (backups are written once and re-read on retry; fixes set absolute
/// state, and a retried or taken-over write step reads the asset first and skips a write already made); a write step is
/// claimed on the state row by its message, so a duplicate message does not run it a second time. A transition's
/// messages, ledger entries and notifications are outbox rows committed with it and claimed by the committing instance;
/// rows whose dispatcher stopped (this instance, not dispatching; or any instance past <see cref="DurableChainOptions.DispatchLease"/>)
/// are taken over by the next step or decision on that change, or by <see cref="SweepAsync"/>. Messages and notifications
/// go out at least once (a step message whose stage is past is acked unrun). A ledger entry carries the change and its
/// history sequence, and a taken-over row looks for it in the ledger before appending, so the ledger holds each once.
/// </remarks>
public sealed class DurableChangeChain
{
    private const string BackupName = "backup.json";
    private const string BundleName = "rollback-bundle.json";
    private static readonly TimeSpan MaxVisibilityDelay = TimeSpan.FromDays(6);

    private readonly ChangeChain _chain;
    private readonly PatternRegistry _patterns;
    private readonly ChangeTable _changes;
    private readonly ChangeIdCounter _counter;
    private readonly OpenChangeIndex _index;
    private readonly QueueClient _queue;
    private readonly RollbackVault _vault;
    private readonly GovernedAccounts _accounts;
    private readonly ILedgerAppender _ledger;
    private readonly LedgerReplayCheck _replay;
    private readonly INotifier _notifier;
    private readonly TimeProvider _time;
    private readonly DurableChainOptions _options;
    private readonly ChainFaults _faults;
    private readonly ChainObserver _observer;
    private readonly ConcurrentDictionary<ChangeId, int> _dispatching = new();

    public DurableChangeChain(
        ChangeChain chain,
        PatternRegistry patterns,
        ChangeTable changes,
        ChangeIdCounter counter,
        OpenChangeIndex index,
        QueueClient queue,
        RollbackVault vault,
        GovernedAccounts accounts,
        ILedgerAppender ledger,
        LedgerReplayCheck replay,
        INotifier notifier,
        TimeProvider time,
        DurableChainOptions? options = null,
        ChainFaults? faults = null,
        ChainObserver? observer = null)
    {
        _chain = chain;
        _patterns = patterns;
        _changes = changes;
        _counter = counter;
        _index = index;
        _queue = queue;
        _vault = vault;
        _accounts = accounts;
        _ledger = ledger;
        _replay = replay;
        _notifier = notifier;
        _time = time;
        _options = options ?? new DurableChainOptions();
        _faults = faults ?? ChainFaults.None;
        _observer = observer ?? new ChainObserver();
    }

    /// <summary>This instance's name on the outbox rows it claims.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..16];

    public ChangeChain Chain => _chain;

    public QueueClient Queue => _queue;

    public GovernedAccounts Accounts => _accounts;

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken) => await Task.WhenAll(
        _changes.EnsureCreatedAsync(cancellationToken),
        _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
        _vault.EnsureCreatedAsync(cancellationToken));

    public Task<ChangeView?> GetAsync(ChangeId id, CancellationToken cancellationToken) => _changes.ViewAsync(id, cancellationToken);

    public Task<IReadOnlyList<ChangeSummary>> ListAsync(int max, CancellationToken cancellationToken) => _changes.ListAsync(max, cancellationToken);

    /// <summary>
    /// Opens a change for each finding whose asset + pattern no change holds. A change holds them until it closes
    /// (a recurrence after a fix opens a new one) or expires undecided; denied, rolled-back, reverted and stuck changes
    /// keep holding them, so a decision on the record is not re-asked every scan.
    /// </summary>
    public async Task<IReadOnlyList<OpenResult>> OpenAsync(IReadOnlyList<Finding> findings, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken };
        var assessments = new Assessment[findings.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, findings.Count), parallel,
            async (i, ct) => assessments[i] = await AssessAsync(findings[i], ct));

        // One counter write for every change this scan opens.
        var fresh = assessments.Count(a => a.NeedsId);
        var day = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        var next = fresh == 0 ? 0 : await _counter.ReserveAsync(day, fresh, cancellationToken);
        var ids = new ChangeId?[findings.Count];
        for (var i = 0; i < findings.Count; i++)
        {
            ids[i] = assessments[i].NeedsId ? new ChangeId(day, next++) : null;
        }

        var results = new OpenResult[findings.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, findings.Count), parallel,
            async (i, ct) => results[i] = await OpenOneAsync(findings[i], assessments[i], ids[i], requestedBy, ct));
        return results;
    }

    /// <summary>A decision from a person (approve, deny, revert) or a poisoned step, applied with optimistic concurrency.</summary>
    public Task<ChangeDecision> ApplyAsync(ChangeId id, ChainEvent @event, CancellationToken cancellationToken) =>
        ApplyAsync(id, @event, null, cancellationToken);

    private async Task<ChangeDecision> ApplyAsync(ChangeId id, ChainEvent @event, StepDelivery? delivery, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stored = await _changes.LoadAsync(id, cancellationToken);
            if (stored is null)
            {
                return new ChangeDecision(new ChainRefusal(RefusalCode.Invalid, $"there is no change {id}"), null);
            }
            await RecoverAsync(stored, delivery, [], cancellationToken);
            var outcome = _chain.Apply(stored.State, @event);
            if (outcome is not ChainTransition transition)
            {
                return new ChangeDecision(outcome, stored.State);
            }
            try
            {
                await CommitAsync(stored.ETag, transition, [], null, null, [], false, cancellationToken);
                return new ChangeDecision(transition, transition.State);
            }
            catch (ChangeConflictException) when (attempt < _options.MaxConflictRetries)
            {
                // Someone moved the change between our read and our write: decide again on what is there now.
            }
        }
    }

    /// <summary>
    /// Runs one step message. Failures propagate (the queue redelivers), except on the last delivery, where the change
    /// is parked as stuck instead.
    /// </summary>
    public async Task<StepOutcome> RunStepAsync(ChainStepMessage message, StepDelivery delivery, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(delivery);
        try
        {
            return await RunStepOnceAsync(message, delivery, cancellationToken);
        }
        catch (Exception e) when (delivery.IsLastAttempt && e is not OperationCanceledException)
        {
            var poisoned = new StepPoisoned(message.Step, (int)delivery.DequeueCount, Describe(e), _time.GetUtcNow());
            await ApplyAsync(message.ChangeId, poisoned, delivery, cancellationToken);
            return StepOutcome.Parked;
        }
    }

    /// <summary>Dispatches outbox rows their dispatcher left behind (it stopped, or outlived its lease); returns how many changes.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var abandoned = (await _changes.PendingOutboxAsync(cancellationToken))
            .GroupBy(p => (p.Change, p.Row.Version))
            .Where(g => Abandoned(g.Key.Change, [.. g.Select(p => p.Row).OrderBy(r => r.RowKey, StringComparer.Ordinal)], null, now))
            .Select(g => g.Key.Change)
            .Distinct()
            .ToList();
        var recovered = 0;
        foreach (var id in abandoned)
        {
            if (await _changes.LoadAsync(id, cancellationToken) is { } stored && await RecoverAsync(stored, null, [], cancellationToken))
            {
                recovered++;
            }
        }
        return recovered;
    }

    /// <summary>
    /// Runs the message's step and, on a first delivery, the immediate steps that follow it, in-process (bounded by
    /// <see cref="DurableChainOptions.MaxInlineSteps"/> and <see cref="DurableChainOptions.InlineBudget"/>). Each inline
    /// step commits as a queued one would, caused by this message: the rows of the transition that named it stay until
    /// its own commit settles them, so if the run stops anywhere, this message's redelivery takes those rows over at once
    /// and sends the next step through the queue. A redelivery runs nothing inline, so each such step gets every
    /// delivery attempt of its own message.
    /// </summary>
    private async Task<StepOutcome> RunStepOnceAsync(ChainStepMessage message, StepDelivery delivery, CancellationToken cancellationToken)
    {
        var inline = delivery.IsRetry || delivery.IsLastAttempt ? 0 : _options.MaxInlineSteps;
        var started = _time.GetTimestamp();
        var (outcome, next) = await RunOneStepAsync(message, delivery, null, inline > 0, cancellationToken);
        while (next is not null)
        {
            inline--;
            var more = inline > 0 && _time.GetElapsedTime(started) < _options.InlineBudget;
            (_, next) = await RunOneStepAsync(next.Message, delivery, next.Known, more, cancellationToken);
        }
        return outcome;
    }

    /// <param name="known">The change as this run just committed it (state, ETag, outbox rows), instead of reading it again.</param>
    /// <param name="inlineNext">Whether an immediate next step is returned to run in-process instead of being sent.</param>
    private async Task<(StepOutcome Outcome, InlineStep? Next)> RunOneStepAsync(
        ChainStepMessage message, StepDelivery delivery, StoredChange? known, bool inlineNext, CancellationToken cancellationToken)
    {
        var (id, step) = (message.ChangeId, message.Step);
        StoredChange? stored;
        ETag etag;
        IReadOnlyList<OutboxRow> delivered;
        var retry = delivery.IsRetry;
        for (var attempt = 0; ; attempt++)
        {
            stored = known ?? await _changes.LoadAsync(id, cancellationToken);
            known = null;
            if (stored is null)
            {
                return (StepOutcome.UnknownChange, null);
            }
            _faults.At(ChainFaultPoint.StepStarted, id, step);
            if (delivery.IsRetry && stored.Claim is { } inlined && inlined.MessageId == delivery.MessageId && inlined.Step != step)
            {
                // An earlier delivery of this message stopped inside a write step it ran inline. That step's own message
                // (sent below with the rows taken over) must not find it claimed by this one: release the claim, so the
                // step's message takes it over and looks before writing.
                try
                {
                    var released = await _changes.ClaimStepAsync(id, stored.ETag, new StepClaim(inlined.Step, "", DateTimeOffset.UnixEpoch), cancellationToken);
                    stored = stored with { ETag = released, Claim = null };
                }
                catch (ChangeConflictException) when (attempt < _options.MaxConflictRetries)
                {
                    continue;
                }
            }
            delivered = Delivered(stored, message);
            await RecoverAsync(stored, delivery, delivered, cancellationToken);
            if (!ChangeChain.IsDue(stored.State, step))
            {
                await _changes.DeleteOutboxAsync(id, delivered, cancellationToken);
                return (StepOutcome.NotDue, null);
            }
            if (step == ChainStep.ExpireApproval)
            {
                return (await ExpireAsync(stored, delivery, cancellationToken), null);
            }
            etag = stored.ETag;
            if (!IsWrite(step))
            {
                break;
            }
            var now = _time.GetUtcNow();
            if (stored.Claim is { } claim && claim.Step == step)
            {
                if (claim.MessageId != delivery.MessageId && claim.At + _options.StepLease > now)
                {
                    return (StepOutcome.RunByAnotherMessage, null);
                }
                retry = true; // this write may already have been made: look before writing
            }
            try
            {
                etag = await _changes.ClaimStepAsync(id, etag, new StepClaim(step, delivery.MessageId, now), cancellationToken);
                break;
            }
            catch (ChangeConflictException) when (attempt < _options.MaxConflictRetries)
            {
                // A decision landed meanwhile: look again.
            }
        }

        _observer.StepRunning(id, step, delivery.DequeueCount);
        _faults.At(ChainFaultPoint.SideEffectStarting, id, step);
        var (@event, notifications) = await PerformAsync(stored.State, step, retry, cancellationToken);
        _faults.At(ChainFaultPoint.SideEffectDone, id, step);

        var state = stored.State;
        for (var attempt = 0; ; attempt++)
        {
            if (_chain.Apply(state, @event) is not ChainTransition transition)
            {
                return (StepOutcome.NotDue, null);
            }
            try
            {
                return (StepOutcome.Ran, await CommitAsync(etag, transition, notifications, step, delivery, delivered, inlineNext, cancellationToken));
            }
            catch (ChangeConflictException) when (attempt < _options.MaxConflictRetries)
            {
                var again = await _changes.LoadAsync(id, cancellationToken)
                    ?? throw new InvalidOperationException($"{id} disappeared");
                (state, etag, delivered) = (again.State, again.ETag, Delivered(again, message));
            }
        }
    }

    private async Task<StepOutcome> ExpireAsync(StoredChange stored, StepDelivery delivery, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        switch (_chain.Apply(stored.State, new ApprovalTimedOut(now)))
        {
            case ChainTransition transition:
                await CommitAsync(stored.ETag, transition, [], ChainStep.ExpireApproval, delivery, [], false, cancellationToken);
                return StepOutcome.Ran;
            case ChainNotYetDue early:
                var wait = early.DueAt - now;
                await SendAsync(new ChainStepMessage(stored.State.Id, ChainStep.ExpireApproval, stored.State.Version).ToJson(),
                    wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), cancellationToken);
                return StepOutcome.Rearmed;
            default:
                return StepOutcome.NotDue;
        }
    }

    /// <summary>A due step's side effect, and the event that records its result (plus notifications to send with it).</summary>
    private async Task<(ChainEvent Event, IReadOnlyList<Notification> Notifications)> PerformAsync(
        ChangeState state, ChainStep step, bool retry, CancellationToken cancellationToken)
    {
        var asset = state.Plan.Asset;
        var connector = step is ChainStep.StoreRollbackBundle or ChainStep.SendCloseOut ? null : _accounts.ConnectorFor(asset);
        switch (step)
        {
            case ChainStep.TakeBackup:
                return (await BackupAsync(state, connector!, retry, cancellationToken), []);
            case ChainStep.ApplyFix:
                await WriteOnceAsync(connector!, ChangeChain.OperationFor(state, step), state.Plan.Predicted, state.Plan.PatternId, retry, cancellationToken);
                return (new FixApplied(_time.GetUtcNow()), []);
            case ChainStep.VerifyFix:
                var observed = await connector!.ReadAssetAsync(asset, cancellationToken);
                return (new FixObserved(_time.GetUtcNow(), observed), []);
            case ChainStep.StoreRollbackBundle:
                var bundle = JsonSerializer.SerializeToUtf8Bytes(state.Bundle, RemediationJson.Options);
                var stored = await _vault.PutAsync(state.Id.ToString(), BundleName, new MemoryStream(bundle), cancellationToken);
                return (new RollbackBundleStored(_time.GetUtcNow(), Location(stored)), []);
            case ChainStep.SendCloseOut:
                // The close-out goes out through the outbox of the transition that records it.
                return (new CloseOutSent(_time.GetUtcNow()), [_chain.CloseOutNotification(state)]);
            case ChainStep.RestoreFromBackup:
                await WriteOnceAsync(connector!, ChangeChain.OperationFor(state, step), state.Restore!.Predicted, state.Plan.PatternId, retry, cancellationToken);
                return (new RestoreObserved(_time.GetUtcNow(), await connector!.ReadAssetAsync(asset, cancellationToken)), []);
            case ChainStep.RevertChange:
                var inverse = (InversePlan)state.Bundle!.Inverse;
                await WriteOnceAsync(connector!, ChangeChain.OperationFor(state, step), inverse.Predicted, state.Plan.PatternId, retry, cancellationToken);
                return (new RevertObserved(_time.GetUtcNow(), await connector!.ReadAssetAsync(asset, cancellationToken)), []);
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step, "not a side-effect step");
        }
    }

    /// <summary>
    /// Snapshots the asset into the rollback vault under the change id. The vault keeps the first snapshot it was given;
    /// a retry (or a lost race) reads that one back, so the backup recorded is always the one stored.
    /// </summary>
    private async Task<BackupTaken> BackupAsync(ChangeState state, IStorageAccountConnector connector, bool retry, CancellationToken cancellationToken)
    {
        var snapshot = await connector.ReadAssetAsync(state.Plan.Asset, cancellationToken);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(snapshot, RemediationJson.Options);
        var stored = await _vault.PutAsync(state.Id.ToString(), BackupName, new MemoryStream(bytes), cancellationToken);
        if (retry || stored.Size != bytes.Length)
        {
            var (_, content) = await _vault.OpenAsync(state.Id.ToString(), BackupName, cancellationToken);
            await using (content)
            {
                using var buffer = new MemoryStream();
                await content.CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            snapshot = JsonSerializer.Deserialize<AssetState>(bytes, RemediationJson.Options)
                ?? throw new InvalidDataException($"{state.Id}: the stored backup is empty");
        }
        return new BackupTaken(_time.GetUtcNow(), snapshot, Location(stored), Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>Runs a write; on a retry, only if the asset does not already read as the write predicts.</summary>
    private async Task WriteOnceAsync(
        IStorageAccountConnector connector, StorageOperation operation, PredictedState predicted, string patternId, bool retry, CancellationToken cancellationToken)
    {
        if (retry && _patterns[patternId].Verify(predicted, await connector.ReadAssetAsync(operation.Asset, cancellationToken)).Matches)
        {
            return;
        }
        await connector.ExecuteAsync(operation, cancellationToken);
    }

    private async Task<Assessment> AssessAsync(Finding finding, CancellationToken cancellationToken)
    {
        var key = OpenChangeIndex.KeyOf(finding);
        var holder = await _index.FindAsync(key, cancellationToken);
        if (holder is null)
        {
            return new Assessment(key, null, null, false);
        }
        var held = await _changes.LoadAsync(holder.ChangeId, cancellationToken);
        if (held is null)
        {
            // The index was taken but the change never committed (a crash in between): open it now, under that id.
            return new Assessment(key, holder, holder.ChangeId, true);
        }
        return Holds(held.State)
            ? new Assessment(key, holder, holder.ChangeId, false) { Reason = $"re-detection: {holder.ChangeId} is {held.State.Stage.Name()}" }
            : new Assessment(key, holder, null, false);
    }

    private async Task<OpenResult> OpenOneAsync(Finding finding, Assessment assessment, ChangeId? id, string requestedBy, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (assessment.Orphan)
            {
                return await CreateAsync(finding, assessment.Holding!.Value, requestedBy, cancellationToken);
            }
            if (assessment.Holding is { } holding)
            {
                return new OpenResult(finding, holding, false, assessment.Reason);
            }
            id ??= new ChangeId(DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime),
                await _counter.ReserveAsync(DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime), 1, cancellationToken));
            if (await _index.TryTakeAsync(assessment.Key, finding.OpenKey, id.Value, assessment.Holder, cancellationToken))
            {
                return await CreateAsync(finding, id.Value, requestedBy, cancellationToken);
            }
            if (attempt >= _options.MaxConflictRetries)
            {
                throw new InvalidOperationException($"could not take the open-change index for {finding.OpenKey}");
            }
            // Another detector took it first; its id is unused (a gap in the day's numbers) only if that one opens now.
            assessment = await AssessAsync(finding, cancellationToken);
            id = null;
        }
    }

    private async Task<OpenResult> CreateAsync(Finding finding, ChangeId id, string requestedBy, CancellationToken cancellationToken)
    {
        var transition = _chain.Open(id, finding, requestedBy, _time.GetUtcNow());
        try
        {
            await CommitAsync(null, transition, [], null, null, [], false, cancellationToken);
            return new OpenResult(finding, id, true, "opened");
        }
        catch (ChangeConflictException)
        {
            return new OpenResult(finding, id, false, $"re-detection: {id} was opened concurrently");
        }
    }

    /// <summary>
    /// Commits a transition with its outbox, claimed by this instance (and deleting <paramref name="settled"/>), then
    /// dispatches it. The rows are then deleted, except when a step's transition ends with a step message sent at once:
    /// that message's own step deletes them in its commit, which saves a write per step (its arrival proves they went out).
    /// With <paramref name="inlineNext"/>, such a last message is not sent but returned, to run in-process; its rows wait
    /// for that step's commit all the same.
    /// </summary>
    private async Task<InlineStep?> CommitAsync(
        ETag? etag,
        ChainTransition transition,
        IReadOnlyList<Notification> extra,
        ChainStep? step,
        StepDelivery? delivery,
        IReadOnlyList<OutboxRow> settled,
        bool inlineNext,
        CancellationToken cancellationToken)
    {
        var id = transition.State.Id;
        using var dispatching = Dispatching(id);
        var committed = await _changes.CommitTransitionAsync(etag, transition.State, transition.History, Outbox(transition, extra),
            Instance, _time.GetUtcNow(), delivery?.MessageId ?? "", settled, cancellationToken);
        var rows = committed.Outbox;
        _observer.Committed(transition.State, transition.History);
        _faults.At(ChainFaultPoint.Committed, id, step);
        var next = inlineNext && committed.StateETag is { } stateETag && AwaitsReceiver(rows)
            && ChainStepMessage.Parse(rows[^1].Body) is { } message && message.ChangeId == id
                ? new InlineStep(message, new StoredChange(transition.State, stateETag, null, rows))
                : null;
        await DispatchAsync(id, next is null ? rows : [.. rows.Take(rows.Count - 1)], step, cancellationToken);
        if (!AwaitsReceiver(rows))
        {
            await _changes.DeleteOutboxAsync(id, rows, cancellationToken);
        }
        _observer.Dispatched(transition.State, rows.Count, recovered: false);
        _faults.At(ChainFaultPoint.Dispatched, id, step);
        return next;
    }

    /// <summary>Takes over and dispatches the change's abandoned outbox rows, transition by transition; false when none.</summary>
    private async Task<bool> RecoverAsync(
        StoredChange stored, StepDelivery? delivery, IReadOnlyList<OutboxRow> delivered, CancellationToken cancellationToken)
    {
        var id = stored.State.Id;
        var now = _time.GetUtcNow();
        var abandoned = stored.Outbox
            .Where(r => !delivered.Contains(r))
            .GroupBy(r => r.Version)
            .Where(g => Abandoned(id, [.. g.OrderBy(r => r.RowKey, StringComparer.Ordinal)], delivery, now))
            .SelectMany(g => g)
            .ToList();
        if (abandoned.Count == 0)
        {
            return false;
        }
        using var dispatching = Dispatching(id);
        var claimed = await _changes.ClaimOutboxAsync(id, abandoned, Instance, now, cancellationToken);
        if (claimed is null)
        {
            return false;
        }
        await DispatchAsync(id, claimed, null, cancellationToken);
        await _changes.DeleteOutboxAsync(id, claimed, cancellationToken);
        _observer.Dispatched(stored.State, claimed.Count, recovered: true);
        return true;
    }

    /// <summary>
    /// Whether one transition's undispatched rows may be taken over: at once by whoever now holds the queue message whose
    /// step committed them (its first holder lost it), or that this instance claimed and is no longer dispatching;
    /// otherwise once the claim's lease ran out. Rows awaiting their message's step (sent, probably queued) get a long lease.
    /// </summary>
    private bool Abandoned(ChangeId id, IReadOnlyList<OutboxRow> transition, StepDelivery? delivery, DateTimeOffset now)
    {
        var first = transition[0];
        if (delivery is not null && first.CausedBy == delivery.MessageId)
        {
            return true;
        }
        if (AwaitsReceiver(transition))
        {
            return first.ClaimedAt + _options.ReceiverLease <= now;
        }
        return (first.Claimant == Instance && !_dispatching.ContainsKey(id)) || first.ClaimedAt + _options.DispatchLease <= now;
    }

    /// <summary>A step's transition whose last row is a step message sent at once: its step deletes the rows.</summary>
    private static bool AwaitsReceiver(IReadOnlyList<OutboxRow> transition) =>
        transition.Count > 0 && transition[0].CausedBy.Length > 0 && transition[^1] is { Kind: OutboxKind.Message } last && last.Delay == TimeSpan.Zero;

    /// <summary>The rows of the transition that sent <paramref name="message"/> as its last row: its arrival proves them dispatched.</summary>
    private static List<OutboxRow> Delivered(StoredChange stored, ChainStepMessage message)
    {
        var rows = stored.Outbox.Where(r => r.Version == message.Version).OrderBy(r => r.RowKey, StringComparer.Ordinal).ToList();
        return rows.Count > 0 && rows[^1].Kind == OutboxKind.Message && ChainStepMessage.Parse(rows[^1].Body).Step == message.Step ? rows : [];
    }

    /// <summary>Ledger entries first (in order, exactly once), then notifications, then step messages last (at least once).</summary>
    private async Task DispatchAsync(ChangeId id, IReadOnlyList<OutboxRow> rows, ChainStep? step, CancellationToken cancellationToken)
    {
        await AppendOnceAsync([.. rows.Where(r => r.Kind == OutboxKind.Ledger).OrderBy(r => r.RowKey, StringComparer.Ordinal)], cancellationToken);
        _faults.At(ChainFaultPoint.Dispatching, id, step);
        await Task.WhenAll(rows.Where(r => r.Kind == OutboxKind.Notification).Select(r =>
            _notifier.NotifyAsync(JsonSerializer.Deserialize<Notification>(r.Body, JsonSerializerOptions.Web)!, cancellationToken)));
        foreach (var message in rows.Where(r => r.Kind == OutboxKind.Message))
        {
            await SendAsync(message.Body, message.Delay, cancellationToken);
        }
    }

    /// <summary>
    /// Appends the entries in row order. Rows an earlier dispatcher had (attempt above 1) are first looked up in the
    /// ledger, and those already there are skipped.
    /// </summary>
    private async Task AppendOnceAsync(IReadOnlyList<OutboxRow> rows, CancellationToken cancellationToken)
    {
        var entries = rows.Select(r => JsonSerializer.Deserialize<LedgerEntry>(r.Body, JsonSerializerOptions.Web)!).ToList();
        var retried = rows.Where(r => r.Attempt > 1).ToList();
        var appended = retried.Count == 0
            ? new bool[rows.Count]
            : await _replay.AppendedAsync(entries, retried.Min(r => r.CommittedAt) - _options.LedgerClockSkew, cancellationToken);
        // The ledger queues appends in call order, so starting them in row order keeps the transition's order.
        await Task.WhenAll(entries.Where((_, i) => !appended[i]).Select(e => _ledger.AppendAsync(e, cancellationToken)).ToList());
    }

    private async Task SendAsync(string body, TimeSpan delay, CancellationToken cancellationToken) =>
        await _queue.SendMessageAsync(body, delay > MaxVisibilityDelay ? MaxVisibilityDelay : delay, cancellationToken: cancellationToken);

    private static List<OutboxItem> Outbox(ChainTransition transition, IReadOnlyList<Notification> extra)
    {
        var items = new List<OutboxItem>();
        var h = 0;
        for (var i = 0; i < transition.Ledger.Count; i++)
        {
            // The domain writes one ledger entry per history entry, in order, with the approval gate's own entries
            // (approval.*) just before the history entry they led to: each carries that entry's sequence, which makes a
            // replayed entry recognisable (kinds differ within one sequence).
            var entry = transition.Ledger[i];
            var history = transition.History[Math.Min(h, transition.History.Count - 1)];
            if (entry.Kind == history.Event)
            {
                h++;
            }
            var data = (entry.Data?.DeepClone() as System.Text.Json.Nodes.JsonObject) ?? [];
            data[LedgerReplayCheck.SequenceField] = history.Sequence;
            items.Add(new OutboxItem(OutboxKind.Ledger, JsonSerializer.Serialize(entry with { Data = data }, JsonSerializerOptions.Web)));
        }
        items.AddRange(transition.Notifications.Concat(extra)
            .Select(n => new OutboxItem(OutboxKind.Notification, JsonSerializer.Serialize(n, JsonSerializerOptions.Web))));
        items.AddRange(transition.Messages.Select(m => new OutboxItem(
            OutboxKind.Message, new ChainStepMessage(m.ChangeId, m.Step, transition.State.Version).ToJson(), m.Delay)));
        return items;
    }

    /// <summary>Whether a change still holds its asset + pattern against a new detection.</summary>
    private static bool Holds(ChangeState state) => state.Stage is not (ChangeStage.Closed or ChangeStage.Expired);

    private static bool IsWrite(ChainStep step) => step is ChainStep.ApplyFix or ChainStep.RestoreFromBackup or ChainStep.RevertChange;

    private string Location(RollbackSnapshot snapshot) => $"{_vault.Container.Name}/{snapshot.ChangeId}/{snapshot.Name}";

    /// <summary>What failed, for the ledger: the kind of error and the storage status, never request details.</summary>
    private static string Describe(Exception e) => e switch
    {
        RequestFailedException storage => $"storage answered {storage.Status} {storage.ErrorCode}",
        _ => $"{e.GetType().Name}: {Shorten(e.Message)}",
    };

    private static string Shorten(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    private Dispatch Dispatching(ChangeId id)
    {
        _dispatching.AddOrUpdate(id, 1, (_, n) => n + 1);
        return new Dispatch(_dispatching, id);
    }

    /// <summary>Marks a change as being dispatched by this instance, so its own rows are not taken over under it.</summary>
    private readonly struct Dispatch(ConcurrentDictionary<ChangeId, int> dispatching, ChangeId id) : IDisposable
    {
        public void Dispose()
        {
            while (true)
            {
                var count = dispatching[id];
                if (count == 1 ? dispatching.TryRemove(KeyValuePair.Create(id, 1)) : dispatching.TryUpdate(id, count - 1, count))
                {
                    return;
                }
            }
        }
    }

    /// <summary>A next step to run in-process, and the change as its predecessor committed it.</summary>
    private sealed record InlineStep(ChainStepMessage Message, StoredChange Known);

    private sealed record Assessment(string Key, OpenChangeHolder? Holder, ChangeId? Holding, bool Orphan)
    {
        public string Reason { get; init; } = "";

        public bool NeedsId => Holding is null && !Orphan;
    }
}
