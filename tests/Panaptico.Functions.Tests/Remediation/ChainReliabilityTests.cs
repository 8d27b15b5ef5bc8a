using System.Collections.Concurrent;
using System.Net;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Functions.Standalone;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Tests.Remediation;

/// <summary>The durable chain under two instances and under crashes, through the app's own queue trigger and timer.</summary>
public sealed class ChainReliabilityTests
{
    [Fact]
    public async Task Two_instances_draining_one_queue_run_every_step_of_every_chain_once()
    {
        const int Chains = 24;
        var world = await RemediationWorld.CreateAsync();
        var (firstTriggers, secondTriggers) = (new CountingTriggers(), new CountingTriggers());
        await using var first = await world.StartAsync(HostingMode.Standalone, services: s => s.AddSingleton<TriggerObserver>(firstTriggers));
        await using var second = await world.StartAsync(HostingMode.Standalone, services: s => s.AddSingleton<TriggerObserver>(secondTriggers));
        var containers = await Task.WhenAll(Enumerable.Range(0, Chains).Select(i =>
            world.CreateContainerAsync($"dev{i:D2}", production: false, PublicAccessType.None, longLivedWritePolicy: true)));

        await RemediationWorld.ScanAsync(first);
        await world.Recorder.WhenAsync(() => world.Recorder.Latest.Count == Chains && world.Recorder.Latest.Values.All(s => s.Stage == ChangeStage.Closed));

        var runs = world.Recorder.StepsRun.GroupBy(r => (r.Change, r.Step)).ToList();
        Assert.Equal(Chains * RemediationWorld.AutoSteps.Length, runs.Count);
        Assert.All(runs, run => Assert.Single(run));
        Assert.All(containers, c => Assert.Equal(1, world.Connector.WritesTo(world.Asset(c))));
        Assert.True(firstTriggers.Completed > 0 && secondTriggers.Completed > 0, "both instances drained the queue");
        foreach (var id in world.Recorder.Latest.Keys)
        {
            Assert.Equal(RemediationWorld.AutoPath, (await RemediationWorld.LedgerOfAsync(first, id)).Select(r => r.Kind));
        }
    }

    [Fact]
    public async Task Chains_that_crash_at_every_stage_boundary_and_inside_side_effects_all_finish_with_each_fix_applied_once()
    {
        // Each change crashes once at its point on every step (and on its opening): container n's change at point n mod 6.
        var points = Enum.GetValues<ChainFaultPoint>();
        var chains = 2 * points.Length;
        var world = await RemediationWorld.CreateAsync();
        var crashes = new CrashOncePerStep(id =>
            // A change whose commit landed while its caller was cancelled is not known yet: no crash until it is.
            world.Recorder.CommittedState(id)?.Plan.Asset.Container is { } container
                ? points[int.Parse(container[^2..], System.Globalization.CultureInfo.InvariantCulture) % points.Length]
                : null);
        var settings = new Dictionary<string, string?>
        {
            // The scan runs (and sweeps undispatched outboxes) every second; a stopped dispatcher's rows are
            // another instance's after a second.
            ["ViolationScanSchedule"] = "* * * * * *",
            ["Remediation:DispatchLease"] = "00:00:01",
        };
        // Two instances share the harness: a step that crashed on one is redelivered to either.
        await using var first = await world.StartAsync(HostingMode.Standalone, faults: crashes, settings: settings);
        await using var second = await world.StartAsync(HostingMode.Standalone, faults: crashes, settings: settings);
        var containers = await Task.WhenAll(Enumerable.Range(0, chains).Select(i =>
            world.CreateContainerAsync($"crash{i:D2}", production: false, PublicAccessType.None, longLivedWritePolicy: true)));

        try
        {
            await world.Recorder.WhenAsync(() => world.Recorder.Latest.Count == chains && world.Recorder.Latest.Values.All(s => s.Stage == ChangeStage.Closed));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(Where(world, crashes));
        }

        Assert.Equal(points, crashes.Thrown.Keys.Select(k => k.Point).Distinct().Order());
        // Every step of every chain crashed once, at its change's point.
        Assert.All(world.Recorder.Latest.Keys, id => Assert.True(crashes.Thrown.Keys.Count(k => k.Change == id && k.Step is not null) == RemediationWorld.AutoSteps.Length));
        Assert.All(containers, c => Assert.Equal(1, world.Connector.WritesTo(world.Asset(c))));
        Assert.Equal(chains, world.Recorder.Latest.Values.Select(s => s.Plan.Asset).Distinct().Count());
        foreach (var id in world.Recorder.Latest.Keys)
        {
            Assert.Equal(RemediationWorld.AutoPath, (await RemediationWorld.LedgerOfAsync(second, id)).Select(r => r.Kind));
        }
    }

    [Fact]
    public async Task An_approval_that_crashes_after_its_commit_is_carried_through_by_the_sweep_and_recorded_once()
    {
        var crash = new CrashWhenArmed(ChainFaultPoint.Committed);
        var world = await RemediationWorld.CreateAsync();
        await using var app = await world.StartAsync(HostingMode.CustomHandler, faults: crash);
        var container = await world.CreateContainerAsync("prod-crash", production: true, PublicAccessType.Blob);
        await RemediationWorld.ScanAsync(app);
        var id = world.Recorder.ChangeOn(world.Asset(container))!.Id;
        var approver = app.CreateClient(People.Approver(app));

        crash.Armed = true;
        var crashed = await People.ApproveAsync(approver, id);
        var again = await People.ApproveAsync(approver, id);
        await RemediationWorld.ScanAsync(app); // the sweep dispatches what the crashed request committed
        await RemediationWorld.PumpAsync(app, () => world.Recorder.StageOf(id) == ChangeStage.Closed);

        Assert.Equal(HttpStatusCode.InternalServerError, crashed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode); // the approval was on record: a second tap changes nothing
        Assert.Equal(PublicAccessType.None, (await container.GetAccessPolicyAsync()).Value.BlobPublicAccess);
        Assert.Single(await RemediationWorld.LedgerOfAsync(app, id), r => r.Kind == "change.approved");
    }

    /// <summary>Where each chain got to and where it crashed: the message of a chain that did not finish.</summary>
    private static string Where(RemediationWorld world, CrashOncePerStep crashes) => string.Join('\n', world.Recorder.Latest.Values.Select(s =>
        $"{s.Id} {s.Plan.Asset.Container}: dispatched {s.Stage}, committed {world.Recorder.CommittedState(s.Id)?.Stage}; crashed at " +
        string.Join(", ", crashes.Thrown.Keys.Where(k => k.Change == s.Id).Select(k => $"{k.Step}@{k.Point}"))));

    /// <summary>Throws once per change, step and point, at the point assigned to the change.</summary>
    private sealed class CrashOncePerStep(Func<ChangeId, ChainFaultPoint?> pointOf) : ChainFaults
    {
        public ConcurrentDictionary<(ChangeId Change, ChainStep? Step, ChainFaultPoint Point), bool> Thrown { get; } = new();

        public override void At(ChainFaultPoint point, ChangeId change, ChainStep? step)
        {
            if (pointOf(change) == point && Thrown.TryAdd((change, step, point), true))
            {
                throw new CrashException($"crash at {point} of {change} {step}");
            }
        }
    }

    private sealed class CrashWhenArmed(ChainFaultPoint point) : ChainFaults
    {
        public volatile bool Armed;

        public override void At(ChainFaultPoint at, ChangeId change, ChainStep? step)
        {
            if (at == point && Armed)
            {
                Armed = false;
                throw new CrashException($"crash at {at} of {change}");
            }
        }
    }

    private sealed class CrashException(string message) : Exception(message);

    private sealed class CountingTriggers : TriggerObserver
    {
        private int _completed;

        public int Completed => _completed;

        public override void QueueMessageHandled(string function, string messageId, long dequeueCount, QueueOutcome outcome)
        {
            if (function == "RemediationStep" && outcome == QueueOutcome.Completed)
            {
                Interlocked.Increment(ref _completed);
            }
        }
    }
}
