using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
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

/// <summary>Lets a test wait for trigger outcomes instead of sleeping: reads the standalone host's trigger log events.</summary>
public sealed class AwaitableObserver : ILoggerProvider, ILogger
{
    private readonly object _gate = new();
    private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waiters = [];

    public ConcurrentQueue<(string Function, DateTimeOffset Occurrence)> Waiting { get; } = new();
    public ConcurrentQueue<(string Function, DateTimeOffset Occurrence, TimerOutcome Outcome)> Timers { get; } = new();
    public ConcurrentQueue<(string Function, string Id, long DequeueCount, QueueOutcome Outcome)> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (state is not IReadOnlyList<KeyValuePair<string, object?>> values)
        {
            return;
        }
        T Value<T>(string name) => (T)values.First(v => v.Key == name).Value!;
        if (eventId == TriggerLog.TimerWaitingEvent)
        {
            Waiting.Enqueue((Value<string>("Function"), Value<DateTimeOffset>("Occurrence")));
        }
        else if (eventId == TriggerLog.TimerHandledEvent)
        {
            Timers.Enqueue((Value<string>("Function"), Value<DateTimeOffset>("Occurrence"), Value<TimerOutcome>("Outcome")));
        }
        else if (eventId == TriggerLog.QueueMessageHandledEvent)
        {
            Messages.Enqueue((Value<string>("Function"), Value<string>("MessageId"), Value<long>("DequeueCount"), Value<QueueOutcome>("Outcome")));
        }
        else
        {
            return;
        }
        Check();
    }

    public void Dispose()
    {
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
