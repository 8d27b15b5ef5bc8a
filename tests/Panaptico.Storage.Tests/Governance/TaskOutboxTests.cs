using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Account;
using Panaptico.Storage.Governance;
using Panaptico.Storage.Ledger;
using Panaptico.Storage.Notifications;
using Panaptico.Testing;
using static Panaptico.Storage.Tests.Governance.GovernanceSample;

namespace Panaptico.Storage.Tests.Governance;

public sealed class TaskOutboxTests : IAsyncLifetime, IAsyncDisposable
{
    // The ledger keeps real time (it polls); the outbox's leases run on the fake clock, started at the real now.
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CrashingLedger _crashing = new();
    private GovernanceTables _tables = null!;
    private TableLedger _ledger = null!;
    private OutboxNotifier _notifier = null!;
    private TaskRepository _tasks = null!;
    private TaskOutbox _outbox = null!;

    public async Task InitializeAsync()
    {
        var account = StorageAccount.FromConnectionString(await TestStorage.ConnectionStringAsync());
        var names = new StorageNames(TestStorage.UniqueName("govout"));
        _tables = new GovernanceTables(account, names);
        await _tables.EnsureCreatedAsync(CancellationToken.None);
        _ledger = new TableLedger(account.Tables.GetTableClient(names.Table("ledger")), TimeProvider.System);
        await _ledger.EnsureCreatedAsync(CancellationToken.None);
        var notifications = account.Tables.GetTableClient(names.Table("notify"));
        await notifications.CreateIfNotExistsAsync();
        _notifier = new OutboxNotifier(notifications, _time);
        _crashing.Inner = _ledger;
        _tasks = new TaskRepository(_tables);
        _outbox = new TaskOutbox(_tables, _crashing, _ledger, _notifier, _time);
    }

    // xunit disposes the class through IAsyncDisposable after the test.
    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _ledger.DisposeAsync();

    [Fact]
    public async Task A_normal_write_dispatches_its_effects_once_and_leaves_no_outbox_rows_or_pending_mark()
    {
        await _tasks.CreateAsync(Active("N1"), CancellationToken.None);

        await WriteAsync("N1", Effects("N1", "first"));

        Assert.Equal(["first.0", "first.1"], await LedgerKindsAsync("N1"));
        Assert.Single(await NotificationsAsync("N1"));
        Assert.Empty(await _outbox.PendingAsync("N1", CancellationToken.None));
        Assert.Empty(await _outbox.MarkedAsync(CancellationToken.None));
        Assert.DoesNotContain((await _tasks.GetAsync("N1", CancellationToken.None))!.Outbox, _ => true);
    }

    [Fact]
    public async Task A_crash_after_the_commit_is_dispatched_exactly_once_by_the_next_write_after_the_lease()
    {
        await _tasks.CreateAsync(Active("C1"), CancellationToken.None);
        _crashing.ThrowBeforeNextAppend = true;

        await Assert.ThrowsAsync<CrashException>(() => WriteAsync("C1", Effects("C1", "lost")));

        Assert.Empty(await LedgerKindsAsync("C1"));
        Assert.Equal(3, (await _outbox.PendingAsync("C1", CancellationToken.None)).Count);
        // Within the lease the rows still belong to the writer: the next write leaves them alone.
        Assert.Equal(0, await _outbox.DispatchAbandonedAsync("C1", CancellationToken.None));
        _crashing.Restart();

        _time.Advance(TaskOutbox.Lease);
        Assert.Equal(3, await _outbox.DispatchAbandonedAsync("C1", CancellationToken.None));
        await WriteAsync("C1", Effects("C1", "next"));

        Assert.Equal(["lost.0", "lost.1", "next.0", "next.1"], await LedgerKindsAsync("C1"));
        Assert.Equal(["lost", "next"], (await NotificationsAsync("C1")).Select(n => n.Summary).Order(StringComparer.Ordinal));
        Assert.Empty(await _outbox.PendingAsync("C1", CancellationToken.None));
        Assert.Empty(await _outbox.MarkedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_sweep_takes_over_a_dispatch_that_stopped_half_way_without_appending_an_entry_twice()
    {
        await _tasks.CreateAsync(Active("S1"), CancellationToken.None);
        _crashing.ThrowAfterNextAppend = true;

        await Assert.ThrowsAsync<CrashException>(() => WriteAsync("S1", Effects("S1", "half")));

        Assert.Equal(["S1"], await _outbox.MarkedAsync(CancellationToken.None));
        Assert.Equal(0, await _outbox.SweepAsync(CancellationToken.None));
        _crashing.Restart();
        _time.Advance(TaskOutbox.Lease);

        Assert.Equal(3, await _outbox.SweepAsync(CancellationToken.None));
        Assert.Equal(0, await _outbox.SweepAsync(CancellationToken.None));

        Assert.Equal(["half.0", "half.1"], await LedgerKindsAsync("S1"));
        Assert.Single(await NotificationsAsync("S1"));
        Assert.Empty(await _outbox.PendingAsync("S1", CancellationToken.None));
        Assert.Empty(await _outbox.MarkedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_downstream_release_commits_each_tasks_effects_in_its_own_partition_and_a_crash_is_swept_once()
    {
        var edges = new DependencyIndex(_tables);
        var release = new DownstreamRelease(_tasks, edges, _outbox, _time);
        var upstream = Active("RUP");
        await _tasks.CreateAsync(upstream, CancellationToken.None);
        foreach (var id in new[] { "RD1", "RD2" })
        {
            var created = Ok(TaskLifecycle.Create(GovernanceSample.Plan, new NewTask(id, GovernanceSample.Plan.Id, "W1", id, "owner-" + id) { UpstreamIds = [upstream.Id], Requirements = Requirements },
                [upstream.Task], Operator, Now));
            await edges.AddAsync(created.Edges, CancellationToken.None);
            await _tasks.CreateAsync(Ok(TaskLifecycle.MarkReady(created.Record, Operator, "declared", Now)), CancellationToken.None);
        }

        var sealedUpstream = upstream.Task with { State = TaskState.Sealed, Seal = new TaskSeal(new string('a', 64), Operator.Id, Now) };
        _crashing.ThrowBeforeNextAppend = true;

        await Assert.ThrowsAsync<CrashException>(() => release.RunAsync(sealedUpstream, _ => Task.CompletedTask, CancellationToken.None));

        // RD1 committed its release with its outbox rows, then the dispatcher stopped; RD2 was not reached.
        Assert.NotEmpty(await _outbox.PendingAsync("RD1", CancellationToken.None));
        Assert.Equal(TaskState.Blocked, (await _tasks.GetRowAsync("RD2", CancellationToken.None))!.Task.State);
        _crashing.Restart();
        _time.Advance(TaskOutbox.Lease);

        var replay = await release.RunAsync(sealedUpstream, _ => Task.CompletedTask, CancellationToken.None);

        Assert.Equal<string>(["RD2"], replay.Released);
        foreach (var id in new[] { "RD1", "RD2" })
        {
            Assert.Equal(["task.released"], await LedgerKindsAsync(id));
            Assert.Single(await _notifier.PendingAsync(CancellationToken.None), n => n.Recipient == "owner-" + id);
            Assert.Empty(await _outbox.PendingAsync(id, CancellationToken.None));
        }

        Assert.Empty(await _outbox.MarkedAsync(CancellationToken.None));
    }

    /// <summary>A write as the governance API makes it: mark, commit with the outbox rows, dispatch.</summary>
    private async Task WriteAsync(string taskId, TaskEffects effects)
    {
        var stored = (await _tasks.GetAsync(taskId, CancellationToken.None))!;
        var next = stored.Record with { Task = stored.Record.Task with { Title = stored.Record.Task.Title + "!" } };
        var mark = await _outbox.MarkAsync(taskId, CancellationToken.None);
        var saved = await _tasks.SaveAsync(stored, next, effects, CancellationToken.None);
        await _outbox.DispatchAsync(taskId, saved.Outbox, mark, CancellationToken.None);
    }

    private TaskEffects Effects(string taskId, string what) => new(
        [
            new LedgerEntry("governance", what + ".0", taskId, Operator.Id, new JsonObject { ["n"] = 0 }),
            new LedgerEntry("governance", what + ".1", taskId, Operator.Id, null),
        ],
        [new Notification("task.changed", "tnguyen", taskId, what, null)],
        _time.GetUtcNow());

    private async Task<List<string>> LedgerKindsAsync(string subject)
    {
        var head = await _ledger.ReadHeadAsync(CancellationToken.None);
        var kinds = new List<string>();
        if (head.Size > 0)
        {
            await foreach (var record in _ledger.ReadRangeAsync(0, head.Size - 1, CancellationToken.None))
            {
                if (record.Subject == subject)
                {
                    kinds.Add(record.Kind);
                }
            }
        }

        return kinds;
    }

    private async Task<List<Notification>> NotificationsAsync(string subject) =>
        [.. (await _notifier.PendingAsync(CancellationToken.None)).Where(n => n.Subject == subject)];

    private sealed class CrashException() : Exception("the dispatcher stopped");

    /// <summary>
    /// The seam: the process stops at the next append, before or after that entry lands; every later append of the
    /// stopped process fails too, until <see cref="Restart"/> (a new process taking over).
    /// </summary>
    private sealed class CrashingLedger : ILedgerAppender
    {
        private bool _stopped;

        public ILedgerAppender Inner { get; set; } = null!;

        public bool ThrowBeforeNextAppend { get; set; }

        public bool ThrowAfterNextAppend { get; set; }

        public void Restart() => _stopped = false;

        public async Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            if (_stopped || ThrowBeforeNextAppend)
            {
                (_stopped, ThrowBeforeNextAppend) = (true, false);
                throw new CrashException();
            }

            var stopAfter = ThrowAfterNextAppend;
            ThrowAfterNextAppend = false;
            _stopped |= stopAfter;
            var record = await Inner.AppendAsync(entry, cancellationToken);
            return stopAfter ? throw new CrashException() : record;
        }
    }
}
