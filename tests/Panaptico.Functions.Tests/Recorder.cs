using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests;

/// <summary>What test functions received, shared by every app instance of a test.</summary>
public sealed class Recorder
{
    public ConcurrentQueue<(string Function, object? Trigger)> Invocations { get; } = new();

    public IEnumerable<object?> TriggersOf(string function) => Invocations.Where(i => i.Function == function).Select(i => i.Trigger);
}

/// <summary>A timer function of the tests' own, every five minutes.</summary>
public sealed class SweepFunction(Recorder recorder)
{
    [Function("Sweep")]
    public Task RunAsync([TimerTrigger("0 */5 * * * *")] TimerInfo timer)
    {
        recorder.Invocations.Enqueue(("Sweep", timer));
        return Task.CompletedTask;
    }
}

public sealed class WorkFunction(Recorder recorder)
{
    [Function("Work")]
    public Task RunAsync([QueueTrigger("%WorkQueue%")] string message)
    {
        recorder.Invocations.Enqueue(("Work", message));
        return Task.CompletedTask;
    }
}

public sealed class FailingFunction(Recorder recorder)
{
    [Function("Failing")]
    public Task RunAsync([QueueTrigger("%FailQueue%")] string message)
    {
        recorder.Invocations.Enqueue(("Failing", message));
        throw new InvalidOperationException("this function always fails");
    }
}

/// <summary>Lets a test wait for trigger outcomes instead of sleeping.</summary>
public sealed class AwaitableObserver : TriggerObserver
{
    private readonly object _gate = new();
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];

    public ConcurrentQueue<(string Function, DateTimeOffset Occurrence)> Waiting { get; } = new();
    public ConcurrentQueue<(string Function, DateTimeOffset Occurrence, TimerOutcome Outcome)> Timers { get; } = new();
    public ConcurrentQueue<(string Function, string Id, long DequeueCount, QueueOutcome Outcome)> Messages { get; } = new();

    public override void TimerWaiting(string function, DateTimeOffset occurrence)
    {
        Waiting.Enqueue((function, occurrence));
        Check();
    }

    public override void TimerHandled(string function, DateTimeOffset occurrence, TimerOutcome outcome)
    {
        Timers.Enqueue((function, occurrence, outcome));
        Check();
    }

    public override void QueueMessageHandled(string function, string messageId, long dequeueCount, QueueOutcome outcome)
    {
        Messages.Enqueue((function, messageId, dequeueCount, outcome));
        Check();
    }

    /// <summary>Completes when the condition holds; the timeout only stops a broken test from hanging.</summary>
    public Task WhenAsync(Func<bool> condition)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((condition, signal));
        }
        Check();
        return signal.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    private void Check()
    {
        lock (_gate)
        {
            foreach (var waiter in _waiters.Where(w => w.Done()).ToList())
            {
                waiter.Signal.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }
}
