using Microsoft.DurableTask.Client;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Remediation;

/// <summary>What a person's decision on a change came to: the HTTP API and the Teams bot each answer it in their own form.</summary>
public abstract record ChangeDecision
{
    /// <summary>There is no such change.</summary>
    public sealed record Missing(ChangeId Id) : ChangeDecision;

    /// <summary>The chain refused it; nothing was raised.</summary>
    public sealed record Refused(ChangeView View, ChainRefusal Refusal) : ChangeDecision;

    /// <summary>It was decided before; nothing was raised.</summary>
    public sealed record AlreadyDecided(ChangeView View, ChainDuplicate Duplicate) : ChangeDecision;

    /// <summary>The chain would take it, but no orchestration listens (its rollback window closed, or it failed).</summary>
    public sealed record NotListening(ChangeView View, OrchestrationRuntimeStatus? Status) : ChangeDecision;

    /// <summary>Raised to the change's orchestration; <see cref="After"/> is the change as the decision leaves it.</summary>
    public sealed record Raised(ChangeView View, ChainTransition After) : ChangeDecision;

    /// <summary>The chain would take it, but the caller's claim (a single-use approval link) was lost; nothing was raised.</summary>
    public sealed record ClaimLost(ChangeView View) : ChangeDecision;

    /// <summary>The chain cannot take it now (no outcome it names).</summary>
    public sealed record NotNow(ChangeView View) : ChangeDecision;
}

/// <summary>
/// The one decision path of a change, for the HTTP API and the Teams bot alike: the chain's own decision on the change
/// as recorded, made before anything is written, and only a decision that moves the change is raised to its
/// orchestration as the external event.
/// </summary>
public sealed class ChangeDecisions(ChangeTable changes, ChangeChain chain)
{
    /// <param name="claim">Runs once every check has passed, just before the event is raised; false refuses (nothing is raised).</param>
    public async Task<ChangeDecision> DecideAsync(
        ChangeId id, DurableTaskClient client, string eventName, object signal, Func<ChangeState, ChainEvent> decision, CancellationToken cancellationToken,
        Func<CancellationToken, Task<bool>>? claim = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(decision);
        if (await changes.ViewAsync(id, cancellationToken) is not { } view)
        {
            return new ChangeDecision.Missing(id);
        }
        switch (chain.Decide(view.State, decision(view.State)))
        {
            case ChainRefusal refusal:
                return new ChangeDecision.Refused(view, refusal);
            case ChainDuplicate duplicate:
                return new ChangeDecision.AlreadyDecided(view, duplicate);
            case ChainTransition transition:
                var instance = await client.GetInstanceAsync(id.ToString(), getInputsAndOutputs: false, cancellationToken);
                if (instance is not { RuntimeStatus: OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended })
                {
                    return new ChangeDecision.NotListening(view, instance?.RuntimeStatus);
                }
                if (claim is not null && !await claim(cancellationToken))
                {
                    return new ChangeDecision.ClaimLost(view);
                }
                await client.RaiseEventAsync(id.ToString(), eventName, signal, cancellationToken);
                return new ChangeDecision.Raised(view, transition);
            default:
                return new ChangeDecision.NotNow(view);
        }
    }
}
