using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Panaptico.Functions.Hosting;
using Panaptico.Functions.Standalone;

namespace Panaptico.Functions.Tests;

/// <summary>What test functions received, shared by every app instance of a test.</summary>
public sealed class Recorder
{
    public ConcurrentQueue<(string Function, JsonObject Data, JsonObject Metadata)> Invocations { get; } = new();

    public IEnumerable<JsonObject> DataOf(string function) => Invocations.Where(i => i.Function == function).Select(i => i.Data);
}

/// <summary>Records its invocation, logs a line and returns a value, as a real function would.</summary>
public sealed class RecordingFunction(Recorder recorder) : IFunctionHandler
{
    public Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        recorder.Invocations.Enqueue((invocation.Function.Name, (JsonObject)invocation.Data.DeepClone(), (JsonObject)invocation.Metadata.DeepClone()));
        invocation.Log($"{invocation.Function.Name} ran");
        return Task.FromResult(new FunctionResult(new JsonObject(), JsonValue.Create("done")));
    }
}

public sealed class FailingFunction(Recorder recorder) : IFunctionHandler
{
    public Task<FunctionResult> InvokeAsync(FunctionInvocation invocation, CancellationToken cancellationToken)
    {
        recorder.Invocations.Enqueue((invocation.Function.Name, invocation.Data, invocation.Metadata));
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
