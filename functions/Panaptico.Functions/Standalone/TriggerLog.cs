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
/// What the standalone triggers did, as structured log events with stable ids: operators read them, and tests wait on
/// them through a logger provider of their own instead of sleeping.
/// </summary>
public static class TriggerLog
{
    public static readonly EventId TimerWaitingEvent = new(7101, "TimerWaiting");
    public static readonly EventId TimerHandledEvent = new(7102, "TimerHandled");
    public static readonly EventId QueueMessageHandledEvent = new(7103, "QueueMessageHandled");

    public static void TimerWaiting(this ILogger logger, string function, DateTimeOffset occurrence) =>
        logger.LogDebug(TimerWaitingEvent, "Timer {Function} waits for {Occurrence}", function, occurrence);

    public static void TimerHandled(this ILogger logger, string function, DateTimeOffset occurrence, TimerOutcome outcome) =>
        logger.LogInformation(TimerHandledEvent, "Timer {Function} occurrence {Occurrence}: {Outcome}", function, occurrence, outcome);

    public static void QueueMessageHandled(this ILogger logger, string function, string messageId, long dequeueCount, QueueOutcome outcome) =>
        logger.LogInformation(QueueMessageHandledEvent, "Queue function {Function} message {MessageId} delivery {DequeueCount}: {Outcome}",
            function, messageId, dequeueCount, outcome);
}
