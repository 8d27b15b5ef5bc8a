using System.Text.Json;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Panaptico.Core.Identity;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Functions.Teams;

namespace Panaptico.Functions.Remediation;

/// <summary>
/// One change record's remediation, as a Durable orchestration whose instance id is the change id: ticket → approval →
/// backup → fix → verify (restore on mismatch) → rollback bundle → close-out → the rollback window.
/// </summary>
/// <remarks>
/// The orchestration holds the flow and asks <see cref="ChangeChain.Decide"/> what every result and every decision does;
/// each side effect is an activity of <see cref="RemediationActivities"/>. A decided transition is recorded (table,
/// ledger, notifications) by the next activity, before its side effect, or by <see cref="RemediationActivities.Record"/>
/// before the orchestration waits or ends: one activity per step, and the record's content is fixed by the orchestration
/// history, so an activity run twice records the same thing twice (ledger entry ids, table versions) and writes once.
/// The approval waits for <see cref="ApprovalSignedEvent"/> / <see cref="ApprovalDeniedEvent"/> raced against a durable
/// timer at the request's expiry; a closed, reversible change waits for <see cref="RevertRequestedEvent"/> raced against
/// a durable timer at the end of its rollback window. Deterministic: time from the context, no I/O, no randomness.
/// </remarks>
public static class RemediationChain
{
    /// <summary>An approver signed a seat (or, without routed seats, approved): an <see cref="ApprovalSignal"/>.</summary>
    public const string ApprovalSignedEvent = "approval.signed";

    /// <summary>An approver denied: an <see cref="ApprovalSignal"/>; the change closes as won't-fix with the rationale.</summary>
    public const string ApprovalDeniedEvent = "approval.denied";

    /// <summary>An operator asked to revert a closed change inside its rollback window: a <see cref="RevertSignal"/>.</summary>
    public const string RevertRequestedEvent = "revert.requested";

    [Function(nameof(RemediationChain))]
    public static Task<string> RunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunAsync(context, PatternRegistry.Default);

    /// <summary>The orchestration over a given violation library (the shipped one in the app; tests bring their own patterns).</summary>
    /// <returns>The stage the change ended at.</returns>
    public static async Task<string> RunAsync(TaskOrchestrationContext context, PatternRegistry patterns)
    {
        ArgumentNullException.ThrowIfNull(context);
        var start = context.GetInput<ChainStart>() ?? throw new InvalidOperationException($"{context.InstanceId}: no {nameof(ChainStart)} input");
        var run = new Run(context, new ChangeChain(patterns), start);
        await run.OpenAsync();
        while (true)
        {
            var state = run.State;
            if (state.Stage == ChangeStage.Approval)
            {
                // The request reaches the approvers in Teams first; a decision raised meanwhile waits in the event buffer.
                await run.DeliverAsync(TeamsDelivery.SendApprovalRequestName, TeamsDelivery.RequestStep);
                await run.AwaitApprovalAsync();
                await run.DeliverAsync(TeamsDelivery.UpdateApprovalCardsName, TeamsDelivery.DecidedStep);
            }
            else if (state.Stage.StepAt() is { } step)
            {
                await run.StepAsync(step);
                if (step == ChainStep.SendCloseOut && run.State.Stage == ChangeStage.Closed)
                {
                    await run.DeliverAsync(TeamsDelivery.PostCloseOutName, TeamsDelivery.CloseOutStep);
                }
            }
            else if (state is { Stage: ChangeStage.Closed, SettledAt: null, Bundle.AvailableUntil: { } until })
            {
                await run.AwaitRevertAsync(until);
            }
            else if (state is { Stage: ChangeStage.RolledBack, FollowedBy: null } && !run.FollowUpTried)
            {
                await run.OpenFollowUpAsync();
            }
            else
            {
                await run.FlushAsync();
                return state.Stage.Name();
            }
        }
    }

    /// <summary>One execution (and every replay) of the orchestration: the change as decided so far, and what is not yet recorded.</summary>
    private sealed class Run(TaskOrchestrationContext context, ChangeChain chain, ChainStart start)
    {
        private readonly TaskOptions _retry = TaskOptions.FromRetryPolicy(new RetryPolicy(
            Math.Max(1, start.StepAttempts), start.StepRetryInterval > TimeSpan.Zero ? start.StepRetryInterval : TimeSpan.FromSeconds(1),
            backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(5)));

        private readonly TaskOptions _delivery = TaskOptions.FromRetryPolicy(new RetryPolicy(
            Math.Max(1, start.DeliveryAttempts), start.DeliveryRetryInterval > TimeSpan.Zero ? start.DeliveryRetryInterval : TimeSpan.FromSeconds(1),
            backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromMinutes(1)));

        private ChainRecord? _pending;

        public ChangeState State { get; private set; } = null!;

        public async Task OpenAsync()
        {
            State = Wire.Parse<ChangeState>(await context.CallActivityAsync<string>(RemediationActivities.OpenTicketName, start, _retry));
            context.SetCustomStatus(State.Stage.Name());
        }

        /// <summary>Runs the side effect due at the current stage (recording what is pending first) and decides its result.</summary>
        public async Task StepAsync(ChainStep step)
        {
            ChainEvent result;
            try
            {
                var json = await context.CallActivityAsync<string>(RemediationActivities.NameOf(step), Input(), _retry);
                _pending = null;
                result = ResultOf(step, json);
            }
            catch (TaskFailedException failure)
            {
                // Every attempt failed; what was pending may or may not be recorded, so it stays pending and goes with the stuck record.
                result = new StepFailed(step, Math.Max(1, start.StepAttempts), Describe(failure), context.CurrentUtcDateTime);
            }
            if (Decide(result) is ChainRefusal refused)
            {
                // A result the chain refuses would send the same step round again for ever: park the change instead.
                Decide(new StepFailed(step, 1, $"its result was refused: {refused.Reason}", context.CurrentUtcDateTime));
            }
        }

        /// <summary>
        /// A Teams delivery (<see cref="TeamsDelivery"/>), retried with back-off; when every attempt failed it is recorded as
        /// undelivered and the chain goes on: delivery never holds or loses a decision, and the HTTP API decides regardless.
        /// </summary>
        public async Task DeliverAsync(string activity, string step)
        {
            try
            {
                await context.CallActivityAsync<int>(activity, new TeamsDeliveryInput(State.Id.ToString(), Wire.Json(State)), _delivery);
            }
            catch (TaskFailedException failure)
            {
                try
                {
                    await context.CallActivityAsync<bool>(TeamsDelivery.RecordUndeliveredName, new TeamsUndelivered(State.Id.ToString(), step, Describe(failure)), _retry);
                }
                catch (TaskFailedException)
                {
                    context.CreateReplaySafeLogger(nameof(RemediationChain)).LogWarning("{Change}: {Step} undelivered, and the ledger could not record it", State.Id, step);
                }
            }
        }

        /// <summary>Waits for approvers, each decision as the chain judges it, until the change moves on or the request expires.</summary>
        public async Task AwaitApprovalAsync()
        {
            using var cancel = new CancellationTokenSource();
            var timer = context.CreateTimer(State.ApprovalExpiresAt!.Value.UtcDateTime, cancel.Token);
            var signed = context.WaitForExternalEvent<ApprovalSignal>(ApprovalSignedEvent);
            var denied = context.WaitForExternalEvent<ApprovalSignal>(ApprovalDeniedEvent);
            while (State.Stage == ChangeStage.Approval)
            {
                await FlushAsync();
                var winner = await Task.WhenAny(timer, signed, denied);
                if (winner == timer)
                {
                    if (Decide(new ApprovalTimedOut(context.CurrentUtcDateTime)) is ChainNotYetDue early)
                    {
                        timer = context.CreateTimer(early.DueAt.UtcDateTime, cancel.Token);
                    }
                    continue;
                }
                var approve = winner == signed;
                var signal = await (approve ? signed : denied);
                // Only the waiter that fired is renewed: a second waiter for one name would take the next event first.
                if (approve)
                {
                    signed = context.WaitForExternalEvent<ApprovalSignal>(ApprovalSignedEvent);
                }
                else
                {
                    denied = context.WaitForExternalEvent<ApprovalSignal>(ApprovalDeniedEvent);
                }
                Ignored(Decide(signal.ToEvent(State, approve)), approve ? ApprovalSignedEvent : ApprovalDeniedEvent);
            }
            if (!timer.IsCompleted)
            {
                cancel.Cancel();
            }
        }

        /// <summary>Waits, on a closed reversible change, for a revert or for the end of the rollback window.</summary>
        public async Task AwaitRevertAsync(DateTimeOffset until)
        {
            using var cancel = new CancellationTokenSource();
            var window = context.CreateTimer(until.UtcDateTime, cancel.Token);
            var revert = context.WaitForExternalEvent<RevertSignal>(RevertRequestedEvent);
            while (State is { Stage: ChangeStage.Closed, SettledAt: null })
            {
                await FlushAsync();
                var winner = await Task.WhenAny(window, revert);
                if (winner == window)
                {
                    if (Decide(new RollbackWindowClosed(context.CurrentUtcDateTime)) is ChainNotYetDue early)
                    {
                        window = context.CreateTimer(early.DueAt.UtcDateTime, cancel.Token);
                    }
                    continue;
                }
                var signal = await revert;
                revert = context.WaitForExternalEvent<RevertSignal>(RevertRequestedEvent);
                Ignored(Decide(new RevertRequested(signal.By(), signal.At)), RevertRequestedEvent);
            }
            if (!window.IsCompleted)
            {
                cancel.Cancel();
            }
        }

        public bool FollowUpTried { get; private set; }

        /// <summary>
        /// After a rollback the violation stands: it is opened again at once as a change that follows this one (and
        /// waits for a person), unless the asset reads compliant by now.
        /// </summary>
        public async Task OpenFollowUpAsync()
        {
            FollowUpTried = true;
            await FlushAsync();
            try
            {
                if (await context.CallActivityAsync<string?>(RemediationActivities.OpenFollowUpName, Input(), _retry) is { } followUp)
                {
                    Decide(new FollowUpOpened(Core.Remediation.Tickets.ChangeId.Parse(followUp), context.CurrentUtcDateTime));
                }
            }
            catch (TaskFailedException failure)
            {
                // The rollback stands and is announced; the next scan opens the follow-up instead.
                context.CreateReplaySafeLogger(nameof(RemediationChain)).LogWarning("{Change}: no follow-up opened: {Error}", State.Id, Describe(failure));
            }
        }

        /// <summary>Records what is decided but not recorded yet; before every wait and at the end.</summary>
        public async Task FlushAsync()
        {
            if (_pending is null)
            {
                return;
            }
            await context.CallActivityAsync<bool>(RemediationActivities.RecordName, Input(), _retry);
            _pending = null;
        }

        private ChainOutcome Decide(ChainEvent e)
        {
            var outcome = chain.Decide(State, e);
            if (outcome is ChainTransition transition)
            {
                State = transition.State;
                var record = new ChainRecord(transition.History, transition.Ledger, transition.Notifications);
                _pending = _pending is null ? record : _pending.Then(record);
                context.SetCustomStatus(State.Stage.Name());
            }
            return outcome;
        }

        private void Ignored(ChainOutcome outcome, string signal)
        {
            // The HTTP functions refuse what the chain refuses before raising; what arrives here anyway lost a race.
            if (outcome is ChainRefusal or ChainDuplicate)
            {
                context.CreateReplaySafeLogger(nameof(RemediationChain))
                    .LogInformation("{Change}: {Signal} changed nothing: {Outcome}", State.Id, signal, outcome);
            }
        }

        private ChainStepInput Input() => new(State.Id.ToString(), Wire.Json(State), _pending is null ? null : Wire.Json(_pending));

        private static ChainEvent ResultOf(ChainStep step, string json) => step switch
        {
            ChainStep.TakeBackup => Wire.Parse<BackupTaken>(json),
            ChainStep.ApplyFix => Wire.Parse<FixApplied>(json),
            ChainStep.VerifyFix => Wire.Parse<FixObserved>(json),
            ChainStep.StoreRollbackBundle => Wire.Parse<RollbackBundleStored>(json),
            ChainStep.SendCloseOut => Wire.Parse<CloseOutSent>(json),
            ChainStep.RestoreFromBackup => Wire.Parse<RestoreObserved>(json),
            ChainStep.RevertChange => Wire.Parse<RevertObserved>(json),
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, null),
        };

        /// <summary>What failed, for the record: the activity's own words (it names storage statuses, never request details).</summary>
        private static string Describe(TaskFailedException failure)
        {
            var message = failure.FailureDetails.ErrorMessage ?? failure.FailureDetails.ErrorType;
            var line = message.Split('\n')[0].Trim();
            return line.Length > 200 ? line[..200] + "…" : line;
        }
    }
}

/// <summary>What starts a change's orchestration: the finding (JSON), who asks, when, how hard to retry a step, and the rolled-back change it follows.</summary>
/// <param name="Finding">The <see cref="Finding"/> in the remediation JSON shape.</param>
/// <param name="OpenedAt">When the detector opened it; the ticket's time, the same on every attempt of the opening.</param>
public sealed record ChainStart(
    string ChangeId,
    string Finding,
    string RequestedBy,
    DateTimeOffset OpenedAt,
    int StepAttempts,
    TimeSpan StepRetryInterval,
    string? Follows = null)
{
    /// <summary>Attempts of a Teams delivery before it is recorded as undelivered (the chain goes on either way).</summary>
    public int DeliveryAttempts { get; init; } = 4;

    public TimeSpan DeliveryRetryInterval { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>An activity's input: the change as decided so far, and the decided record not yet written (<see cref="ChainRecord"/> JSON).</summary>
public sealed record ChainStepInput(string ChangeId, string State, string? Record = null);

/// <summary>What recording one or more transitions writes besides the state: history rows, ledger entries, notifications.</summary>
public sealed record ChainRecord(
    IReadOnlyList<ChainHistoryEntry> History,
    IReadOnlyList<LedgerEntry> Ledger,
    IReadOnlyList<Notification> Notifications)
{
    public ChainRecord Then(ChainRecord next) =>
        new([.. History, .. next.History], [.. Ledger, .. next.Ledger], [.. Notifications, .. next.Notifications]);
}

/// <summary>An approver's decision as raised to the orchestration: who (with their roles), when, which seat, why, on which pack.</summary>
public sealed record ApprovalSignal(
    string ApproverId,
    string ApproverName,
    IReadOnlyList<string> Roles,
    DateTimeOffset At,
    string? SeatId,
    string Rationale,
    string ContextPackSha256,
    bool AcknowledgesIrreversible = false)
{
    public static ApprovalSignal From(Principal approver, DateTimeOffset at, string? seatId, string rationale, string contextPackSha256, bool acknowledgesIrreversible) =>
        new(approver.Id, approver.Name, [.. approver.Roles.Order(StringComparer.Ordinal)], at, seatId, rationale, contextPackSha256, acknowledgesIrreversible);

    /// <summary>
    /// The chain event this decision is for a change in <paramref name="state"/>: a seat signature (or denial) when the
    /// change has a routed gate, one tap when it has none. The HTTP function and the orchestration ask the same.
    /// </summary>
    public ChainEvent ToEvent(ChangeState state, bool approve)
    {
        ArgumentNullException.ThrowIfNull(state);
        var approver = new Principal(ApproverId, ApproverName, Roles.ToHashSet(StringComparer.Ordinal));
        return (state.ApprovalGate, approve) switch
        {
            (null, true) => new ApprovalGranted(approver, At, AcknowledgesIrreversible),
            (null, false) => new ApprovalDenied(approver, At, Rationale),
            (_, true) => new SeatApproved(approver, At, SeatId, Rationale, ContextPackSha256, AcknowledgesIrreversible),
            (_, false) => new SeatDenied(approver, At, SeatId, Rationale, ContextPackSha256),
        };
    }
}

/// <summary>An operator's revert as raised to the orchestration.</summary>
public sealed record RevertSignal(string ById, string ByName, IReadOnlyList<string> Roles, DateTimeOffset At)
{
    public static RevertSignal From(Principal by, DateTimeOffset at) => new(by.Id, by.Name, [.. by.Roles.Order(StringComparer.Ordinal)], at);

    public Principal By() => new(ById, ByName, Roles.ToHashSet(StringComparer.Ordinal));
}

/// <summary>
/// Orchestration inputs and activity results that hold remediation records travel as JSON text in the remediation shape:
/// polymorphic assets and operations survive whatever serializer the host's data converter uses.
/// </summary>
public static class Wire
{
    public static string Json<T>(T value) => JsonSerializer.Serialize(value, RemediationJson.Options);

    public static T Parse<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, RemediationJson.Options) ?? throw new JsonException($"no {typeof(T).Name} in the payload");
}
