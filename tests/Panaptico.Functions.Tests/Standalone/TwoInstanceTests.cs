using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Functions.Standalone;
using Panaptico.Testing;

namespace Panaptico.Functions.Tests.Standalone;

/// <summary>Two standalone instances on one storage account, as two containers of the app would run.</summary>
public sealed class TwoInstanceTests
{
    [Fact]
    public async Task A_timer_occurrence_fires_once_across_two_instances()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 2, 0, TimeSpan.Zero));
        var occurrence = new DateTimeOffset(2026, 11, 23, 10, 5, 0, TimeSpan.Zero);
        var recorder = new Recorder();
        var observer = new AwaitableObserver();
        var settings = new Dictionary<string, string?> { ["Functions:HostId"] = TestStorage.UniqueName("timers") };
        void Services(IServiceCollection services)
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<ILoggerProvider>(observer);
            services.AddSingleton(recorder);
        }

        await using var first = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(SweepFunction)]);
        await using var second = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(SweepFunction)]);
        await observer.WhenAsync(() => observer.Waiting.Count(w => w.Function == "Sweep" && w.Occurrence == occurrence) == 2);

        time.Advance(TimeSpan.FromMinutes(3));
        await observer.WhenAsync(() => observer.Timers.Count(t => t.Function == "Sweep" && t.Occurrence == occurrence) == 2);

        var outcomes = observer.Timers.Where(t => t.Function == "Sweep").Select(t => t.Outcome).ToList();
        Assert.Single(outcomes, TimerOutcome.Fired);
        Assert.Single(recorder.TriggersOf("Sweep"));
    }

    [Fact]
    public async Task An_instance_whose_clock_runs_late_does_not_fire_an_occurrence_already_fired()
    {
        var start = new DateTimeOffset(2026, 11, 23, 10, 2, 0, TimeSpan.Zero);
        var occurrence = new DateTimeOffset(2026, 11, 23, 10, 5, 0, TimeSpan.Zero);
        var (earlyClock, lateClock) = (new FakeTimeProvider(start), new FakeTimeProvider(start));
        var (earlyObserver, lateObserver) = (new AwaitableObserver(), new AwaitableObserver());
        var recorder = new Recorder();
        var settings = new Dictionary<string, string?> { ["Functions:HostId"] = TestStorage.UniqueName("timers") };
        Action<IServiceCollection> Instance(FakeTimeProvider clock, AwaitableObserver observer) => services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddSingleton<ILoggerProvider>(observer);
            services.AddSingleton(recorder);
        };

        await using var early = await TestFunctionApp.StartAsync(settings, Instance(earlyClock, earlyObserver), functions: [typeof(SweepFunction)]);
        await using var late = await TestFunctionApp.StartAsync(settings, Instance(lateClock, lateObserver), functions: [typeof(SweepFunction)]);
        await earlyObserver.WhenAsync(() => earlyObserver.Waiting.Any(w => w.Function == "Sweep" && w.Occurrence == occurrence));
        await lateObserver.WhenAsync(() => lateObserver.Waiting.Any(w => w.Function == "Sweep" && w.Occurrence == occurrence));

        earlyClock.Advance(TimeSpan.FromMinutes(3));
        await earlyObserver.WhenAsync(() => earlyObserver.Timers.Any(t => t.Function == "Sweep"));
        lateClock.Advance(TimeSpan.FromMinutes(3));
        await lateObserver.WhenAsync(() => lateObserver.Timers.Any(t => t.Function == "Sweep"));

        Assert.Equal(TimerOutcome.Fired, earlyObserver.Timers.Single(t => t.Function == "Sweep").Outcome);
        Assert.Equal(TimerOutcome.SkippedAlreadyFired, lateObserver.Timers.Single(t => t.Function == "Sweep").Outcome);
        Assert.Single(recorder.TriggersOf("Sweep"));
    }

    [Fact]
    public async Task Each_queue_message_is_handled_once_by_one_of_two_instances()
    {
        var queueName = TestStorage.UniqueName("work");
        var recorder = new Recorder();
        var observer = new AwaitableObserver();
        var settings = new Dictionary<string, string?> { ["WorkQueue"] = queueName };
        void Services(IServiceCollection services)
        {
            services.AddSingleton<ILoggerProvider>(observer);
            services.AddSingleton(recorder);
        }
        var queue = new QueueServiceClient(await TestStorage.ConnectionStringAsync(),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None }).GetQueueClient(queueName);
        await queue.CreateIfNotExistsAsync();
        for (var i = 0; i < 40; i++)
        {
            await queue.SendMessageAsync($$"""{"n":{{i}}}""");
        }

        await using var first = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(WorkFunction)]);
        await using var second = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(WorkFunction)]);
        await observer.WhenAsync(() => observer.Messages.Count(m => m.Outcome == QueueOutcome.Completed) >= 40);

        var handled = recorder.TriggersOf("Work").Cast<string>().ToList();
        Assert.Equal(40, handled.Count);
        Assert.Equal(40, handled.Distinct().Count());
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_message_that_always_fails_lands_in_the_poison_queue_after_max_dequeue_count()
    {
        var queueName = TestStorage.UniqueName("failing");
        var recorder = new Recorder();
        var observer = new AwaitableObserver();
        var settings = new Dictionary<string, string?> { ["FailQueue"] = queueName };
        void Services(IServiceCollection services)
        {
            services.AddSingleton<ILoggerProvider>(observer);
            services.AddSingleton(recorder);
        }
        var queues = new QueueServiceClient(await TestStorage.ConnectionStringAsync(),
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        await queues.GetQueueClient(queueName).CreateIfNotExistsAsync();
        await queues.GetQueueClient(queueName).SendMessageAsync("""{"poison":true}""");

        await using var first = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(FailingFunction)]);
        await using var second = await TestFunctionApp.StartAsync(settings, Services, functions: [typeof(FailingFunction)]);
        await observer.WhenAsync(() => observer.Messages.Any(m => m.Outcome == QueueOutcome.MovedToPoison));

        // the test apps have maxDequeueCount 3
        Assert.Equal(3, recorder.Invocations.Count);
        Assert.Equal([1L, 2L, 3L], observer.Messages.Select(m => m.DequeueCount).Order());
        var poisoned = Assert.Single((await queues.GetQueueClient(queueName + "-poison").ReceiveMessagesAsync(10)).Value);
        Assert.Equal("""{"poison":true}""", poisoned.Body.ToString());
        Assert.Equal(0, (await queues.GetQueueClient(queueName).GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }
}
