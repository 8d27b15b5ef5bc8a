using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

/// <summary>The named points of a step or decision at which a crash is survivable; a fault harness throws at them.</summary>
public enum ChainFaultPoint
{
    /// <summary>A step message was received and its change loaded; nothing done yet.</summary>
    StepStarted,

    /// <summary>Just before a step's side effect (a vault write, a connector write or read).</summary>
    SideEffectStarting,

    /// <summary>The side effect happened (the fix is written, the backup stored) but nothing records it yet.</summary>
    SideEffectDone,

    /// <summary>The transition committed; its outbox (messages, ledger entries, notifications) is not dispatched.</summary>
    Committed,

    /// <summary>Part of the outbox went out: ledger entries appended, messages not yet sent, rows not yet marked.</summary>
    Dispatching,

    /// <summary>Everything dispatched and marked; the queue message is not acknowledged yet.</summary>
    Dispatched,
}

/// <summary>
/// A seam for crash tests: called at each <see cref="ChainFaultPoint"/>. The default does nothing; a harness throws.
/// </summary>
public class ChainFaults
{
    public static readonly ChainFaults None = new();

    /// <param name="step">Null for decisions and openings, which do not come from a step message.</param>
    public virtual void At(ChainFaultPoint point, ChangeId change, ChainStep? step)
    {
    }
}
