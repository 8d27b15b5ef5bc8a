using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

/// <summary>What the durable chain did, for operators' logs and for tests and the demo to wait on instead of sleeping.</summary>
public class ChainObserver
{
    /// <summary>A transition committed (before its outbox is dispatched).</summary>
    public virtual void Committed(ChangeState state, IReadOnlyList<ChainHistoryEntry> history)
    {
    }

    /// <summary>A due step is about to run its side effect (after the stage check and, for writes, the step claim).</summary>
    public virtual void StepRunning(ChangeId change, ChainStep step, long dequeueCount)
    {
    }

    /// <summary>
    /// A transition's outbox went out (ledger appended, notifications posted, messages sent); <paramref name="state"/>
    /// is the change as committed (or, for rows taken over from a stopped dispatcher, as last read).
    /// </summary>
    public virtual void Dispatched(ChangeState state, int rows, bool recovered)
    {
    }
}
