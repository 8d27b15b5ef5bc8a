using System.Collections.Concurrent;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Panaptico.Functions.Governance;

namespace Panaptico.Functions.Tests.Governance;

/// <summary>
/// The gate holds' orchestrator logic on the in-memory Durable Task engine, with the activities replaced by
/// recorders: when each timer fires, what runs after it, and what a hold does with what its activity answers.
/// Timers are seconds long, set through the inputs as the settings set them in the app.
/// </summary>
public sealed class GateHoldOrchestrationTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Activity, object Input, DateTimeOffset At)> _calls = new();
    private readonly ConcurrentDictionary<string, Queue<GateHoldOutcome>> _seatAnswers = new();
    private readonly ConcurrentDictionary<string, Queue<long>> _versions = new();
    private readonly ConcurrentDictionary<string, bool> _releases = new();
    private DurableTaskTestHost _host = null!;

    private DurableTaskClient Client => _host.Client;

    // Registered with their input types: the worker hands GetInput<T>() the input deserialized as that type.
    public async Task InitializeAsync() => _host = await InMemoryDurableHost.StartAsync(registry =>
    {
        registry.AddOrchestratorFunc<TaskFollowUpInput, string>(nameof(GateHolds.TaskFollowUp), (context, _) => GateHolds.TaskFollowUp(context));
        registry.AddOrchestratorFunc<GateHoldInput, string>(nameof(GateHolds.GateHold), (context, _) => GateHolds.GateHold(context));
        registry.AddOrchestratorFunc<WindowHoldInput, string>(nameof(GateHolds.TelemetryWindowHold), (context, _) => GateHolds.TelemetryWindowHold(context));
        registry.AddOrchestratorFunc<string, ReleaseOutcome>(nameof(GateHolds.ReleaseDownstream), (context, _) => GateHolds.ReleaseDownstream(context));
        registry.AddActivityFunc<string, long>(nameof(GateHoldActivities.DispatchTaskEffects), (_, taskId) =>
        {
            Record(nameof(GateHoldActivities.DispatchTaskEffects), taskId);
            return _versions.TryGetValue(taskId, out var versions) && versions.Count > 0 ? (versions.Count > 1 ? versions.Dequeue() : versions.Peek()) : 0L;
        });
        registry.AddActivityFunc<GateHoldInput, GateHoldOutcome>(nameof(GateHoldActivities.ExpireApprovalSeats), (_, hold) =>
        {
            Record(nameof(GateHoldActivities.ExpireApprovalSeats), hold);
            return _seatAnswers.TryGetValue(hold.SeatId, out var answers) && answers.Count > 0 ? answers.Dequeue() : new GateHoldOutcome("Expired", null);
        });
        registry.AddActivityFunc<WindowHoldInput, string>(nameof(GateHoldActivities.CloseTelemetryWindow), (_, window) =>
        {
            Record(nameof(GateHoldActivities.CloseTelemetryWindow), window);
            return "elapsed";
        });
        registry.AddActivityFunc<string, SealedDownstream>(nameof(GateHoldActivities.ListSealedDownstream), (_, taskId) =>
        {
            Record(nameof(GateHoldActivities.ListSealedDownstream), taskId);
            return taskId == "UP" ? new SealedDownstream(true, ["D3", "D1", "D2"]) : new SealedDownstream(false, []);
        });
        registry.AddActivityFunc<ReleaseTaskInput, bool>(nameof(GateHoldActivities.ReleaseDownstreamTask), (_, input) =>
        {
            Record(nameof(GateHoldActivities.ReleaseDownstreamTask), input);
            return _releases.GetValueOrDefault(input.DownstreamId);
        });
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_seat_is_expired_when_its_timer_fires_and_not_before()
    {
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(2);

        var done = await RunAsync(nameof(GateHolds.GateHold), new GateHoldInput("T1", "seat-a", expiresAt));

        Assert.Equal("Expired", done.ReadOutputAs<string>());
        var call = Assert.Single(Calls(nameof(GateHoldActivities.ExpireApprovalSeats)));
        Assert.Equal(new GateHoldInput("T1", "seat-a", expiresAt), call.Input);
        Assert.True(call.At >= expiresAt, $"ran at {call.At:O}, before the expiry {expiresAt:O}");
    }

    [Fact]
    public async Task A_rerouted_seat_is_held_again_until_its_new_expiry()
    {
        var first = DateTimeOffset.UtcNow.AddSeconds(1);
        var second = first.AddSeconds(2);
        _seatAnswers["seat-r"] = new Queue<GateHoldOutcome>([new GateHoldOutcome("Open", second), new GateHoldOutcome("Expired", null)]);

        var done = await RunAsync(nameof(GateHolds.GateHold), new GateHoldInput("T2", "seat-r", first));

        Assert.Equal("Expired", done.ReadOutputAs<string>());
        var calls = Calls(nameof(GateHoldActivities.ExpireApprovalSeats));
        Assert.Equal([first, second], calls.Select(c => ((GateHoldInput)c.Input).ExpiresAt));
        Assert.True(calls[1].At >= second, $"the re-routed seat was expired at {calls[1].At:O}, before {second:O}");
    }

    [Fact]
    public async Task A_follow_up_looks_until_its_write_landed_then_releases_and_holds_what_it_opened()
    {
        _versions["T3"] = new Queue<long>([6, 7]);
        _seatAnswers["seat-f"] = new Queue<GateHoldOutcome>([new GateHoldOutcome("Signed", null)]);
        var now = DateTimeOffset.UtcNow;
        var input = new TaskFollowUpInput("T3", 7, Sealed: false,
            [new GateHoldInput("T3", "seat-f", now.AddSeconds(1))],
            [new WindowHoldInput("T3", "bake", now, now.AddSeconds(1))],
            Delay: TimeSpan.FromMilliseconds(200), Looks: 5);

        var done = await RunAsync(nameof(GateHolds.TaskFollowUp), input);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(2, Calls(nameof(GateHoldActivities.DispatchTaskEffects)).Count);
        Assert.Single(Calls(nameof(GateHoldActivities.ExpireApprovalSeats)));
        Assert.Single(Calls(nameof(GateHoldActivities.CloseTelemetryWindow)));
        Assert.Empty(Calls(nameof(GateHoldActivities.ListSealedDownstream)));
    }

    [Fact]
    public async Task A_follow_up_whose_write_never_landed_gives_up_and_holds_nothing()
    {
        _versions["T4"] = new Queue<long>([3]);
        var input = new TaskFollowUpInput("T4", 4, Sealed: true,
            [new GateHoldInput("T4", "seat-n", DateTimeOffset.UtcNow)], [], Delay: TimeSpan.FromMilliseconds(100), Looks: 3);

        var done = await RunAsync(nameof(GateHolds.TaskFollowUp), input);

        Assert.Equal("the write never landed", done.ReadOutputAs<string>());
        Assert.Equal(3, Calls(nameof(GateHoldActivities.DispatchTaskEffects)).Count);
        Assert.Empty(Calls(nameof(GateHoldActivities.ExpireApprovalSeats)));
        Assert.Empty(Calls(nameof(GateHoldActivities.ListSealedDownstream)));
    }

    [Fact]
    public async Task A_seal_releases_each_direct_downstream_task_in_its_own_activity_and_reports_those_it_released()
    {
        _releases["D1"] = true;
        _releases["D3"] = true;

        var done = await RunAsync(nameof(GateHolds.ReleaseDownstream), "UP");
        var notSealed = await RunAsync(nameof(GateHolds.ReleaseDownstream), "NOT-SEALED");

        var outcome = done.ReadOutputAs<ReleaseOutcome>()!;
        Assert.Equal(("UP", true), (outcome.TaskId, outcome.Sealed));
        Assert.Equal<string>(["D1", "D3"], outcome.Released);
        Assert.Equal(["D1", "D2", "D3"], Calls(nameof(GateHoldActivities.ReleaseDownstreamTask)).Select(c => ((ReleaseTaskInput)c.Input).DownstreamId).Order(StringComparer.Ordinal));
        Assert.False(notSealed.ReadOutputAs<ReleaseOutcome>()!.Sealed);
    }

    private async Task<OrchestrationMetadata> RunAsync(string orchestrator, object input)
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var done = await Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{orchestrator} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
        return done;
    }

    private void Record(string activity, object input) => _calls.Enqueue((activity, input, DateTimeOffset.UtcNow));

    private List<(string Activity, object Input, DateTimeOffset At)> Calls(string activity) => [.. _calls.Where(c => c.Activity == activity)];
}
