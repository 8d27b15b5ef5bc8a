namespace Panaptico.Functions.Standalone;

public enum TimerOutcome
{
    Fired,
    SkippedAlreadyFired,
    SkippedHeldByAnotherInstance,
    Failed,
}

public enum QueueOutcome
{
    Completed,
    Failed,
    MovedToPoison,
}

/// <summary>
/// What the standalone triggers did, for operators' logs and for tests that wait on an outcome instead of sleeping.
/// </summary>
public class TriggerObserver
{
    public virtual void TimerWaiting(string function, DateTimeOffset occurrence) { }

    public virtual void TimerHandled(string function, DateTimeOffset occurrence, TimerOutcome outcome) { }

    public virtual void QueueMessageHandled(string function, string messageId, long dequeueCount, QueueOutcome outcome) { }
}
