using System.Collections.Concurrent;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>A step message's first delivery runs the immediate steps after it in-process; a crash anywhere in that run still finishes the chain once.</summary>
public sealed class ChainInlineStepTests
{
    [Fact]
    public async Task An_auto_approved_chain_runs_every_step_after_the_backup_in_process_from_one_queue_message()
    {
        var world = await RemediationWorld.CreateAsync();
        var triggers = new CountingTriggers();
        await using var app = await world.StartAsync(HostingMode.Standalone, services: s => s.AddSingleton<TriggerObserver>(triggers));
        var container = await world.CreateContainerAsync("inline", production: false, PublicAccessType.None, longLivedWritePolicy: true);

        await RemediationWorld.ScanAsync(app);
        await world.Recorder.WhenAsync(() => world.Recorder.ChangeOn(world.Asset(container))?.Stage == ChangeStage.Closed);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        await triggers.AnyCompleted.WaitAsync(TimeSpan.FromSeconds(30)); // the trigger reports a message after its run

        Assert.Equal(1, triggers.Completed); // the backup's message; none for the four steps that followed it
        Assert.Equal(RemediationWorld.AutoSteps, world.Recorder.StepsRun.Where(r => r.Change == id).Select(r => r.Step));
        Assert.Equal(1, world.Connector.WritesTo(world.Asset(container)));
        Assert.Equal(RemediationWorld.AutoPath, (await RemediationWorld.LedgerOfAsync(app, id)).Select(r => r.Kind));
    }

    [Theory]
    [InlineData(ChainFaultPoint.Dispatched, ChainStep.TakeBackup)] // the queued step committed and dispatched; the first inline step not started
    [InlineData(ChainFaultPoint.StepStarted, ChainStep.ApplyFix)]
    [InlineData(ChainFaultPoint.SideEffectDone, ChainStep.ApplyFix)] // inside an inline write step, after the fix landed
    [InlineData(ChainFaultPoint.Committed, ChainStep.ApplyFix)] // an inline step committed; nothing of it dispatched
    [InlineData(ChainFaultPoint.Dispatching, ChainStep.VerifyFix)]
    [InlineData(ChainFaultPoint.Committed, ChainStep.StoreRollbackBundle)]
    public async Task A_crash_in_an_inline_run_is_resumed_by_the_queue_and_finishes_the_chain_exactly_once(ChainFaultPoint point, ChainStep step)
    {
        var world = await RemediationWorld.CreateAsync();
        var crash = new CrashOnce(point, step);
        await using var app = await world.StartAsync(HostingMode.Standalone, faults: crash);
        var container = await world.CreateContainerAsync("crash", production: false, PublicAccessType.None, longLivedWritePolicy: true);

        await RemediationWorld.ScanAsync(app);
        await world.Recorder.WhenAsync(() => world.Recorder.ChangeOn(world.Asset(container))?.Stage == ChangeStage.Closed);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;

        Assert.True(crash.Crashed);
        Assert.Equal(1, world.Connector.WritesTo(world.Asset(container)));
        Assert.Equal(RemediationWorld.AutoPath, (await RemediationWorld.LedgerOfAsync(app, id)).Select(r => r.Kind));
        Assert.Equal(RemediationWorld.AutoSteps, world.Recorder.StepsRun.Where(r => r.Change == id).Select(r => r.Step).Distinct());
        // Only a step the crash interrupted after it started its side effect runs again (its own message looks before writing).
        var again = world.Recorder.StepsRun.Where(r => r.Change == id).GroupBy(r => r.Step).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Equal(point == ChainFaultPoint.SideEffectDone ? [step] : [], again);
    }

    private sealed class CrashOnce(ChainFaultPoint point, ChainStep step) : ChainFaults
    {
        private int _crashed;

        public bool Crashed => Volatile.Read(ref _crashed) == 1;

        public override void At(ChainFaultPoint at, ChangeId change, ChainStep? running)
        {
            if (at == point && running == step && Interlocked.Exchange(ref _crashed, 1) == 0)
            {
                throw new InvalidOperationException($"crash at {at} of {change} {running}");
            }
        }
    }

    private sealed class CountingTriggers : TriggerObserver
    {
        private readonly ConcurrentQueue<string> _completed = new();
        private readonly TaskCompletionSource _any = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Completed => _completed.Count;

        public Task AnyCompleted => _any.Task;

        public override void QueueMessageHandled(string function, string messageId, long dequeueCount, QueueOutcome outcome)
        {
            if (function == "RemediationStep" && outcome == QueueOutcome.Completed)
            {
                _completed.Enqueue(messageId);
                _any.TrySetResult();
            }
        }
    }
}
