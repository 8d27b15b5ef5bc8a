using System.Text.Json.Nodes;
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
        _notifier = new OutboxNotifier(notifications, TimeProvider.System);
        _crashing.Inner = new DeduplicatingLedger(_ledger);
        _tasks = new TaskRepository(_tables);
        _outbox = new TaskOutbox(_tables, _crashing, _notifier);
    }

    // xunit disposes the class through IAsyncDisposable after the test.
    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    public ValueTask DisposeAsync() => _ledger.DisposeAsync();

    [Fact]
    public async Task A_write_commits_its_effects_with_ids_from_the_version_and_dispatching_leaves_no_rows()
    {
        await _tasks.CreateAsync(Active("N1"), CancellationToken.None);

        var saved = await WriteAsync("N1", Effects("N1", "first"));

        Assert.Equal(["N1/v2/0", "N1/v2/1"], saved.Outbox.Where(r => r.Kind == TaskOutbox.LedgerKind).Select(r => GovernanceJson.Deserialize<LedgerEntry>(r.Body).EntryId));
        Assert.Equal("N1/v2/2", GovernanceJson.Deserialize<Notification>(Assert.Single(saved.Outbox, r => r.Kind == TaskOutbox.NotificationKind).Body).NotificationId);
        await _outbox.DispatchAsync(saved.Outbox, CancellationToken.None);

        Assert.Equal(["first.0", "first.1"], await LedgerKindsAsync("N1"));
        Assert.Equal("N1/v2/2", Assert.Single(await NotificationsAsync("N1")).NotificationId);
        Assert.Empty(await _outbox.PendingAsync("N1", CancellationToken.None));
        Assert.Empty((await _tasks.GetAsync("N1", CancellationToken.None))!.Pending);
    }

    [Fact]
    public async Task What_a_writer_that_stopped_after_its_commit_left_is_read_with_the_task_and_delivered_once_by_whoever_dispatches()
    {
        await _tasks.CreateAsync(Active("C1"), CancellationToken.None);
        var saved = await WriteAsync("C1", Effects("C1", "lost"));
        _crashing.ThrowBeforeNextAppend = true;

        await Assert.ThrowsAsync<CrashException>(() => _outbox.DispatchAsync(saved.Outbox, CancellationToken.None));

        Assert.Empty(await LedgerKindsAsync("C1"));
        var read = (await _tasks.GetAsync("C1", CancellationToken.None))!;
        Assert.Equal(3, read.Pending.Count);
        _crashing.Restart();

        // The next writer delivers the leftovers before its own, then a late follow-up finds nothing to add.
        var next = await _tasks.SaveAsync(read, read.Record with { Task = read.Record.Task with { Title = "again" } }, Effects("C1", "next"), CancellationToken.None);
        await _outbox.DispatchAsync([.. read.Pending, .. next.Outbox], CancellationToken.None);
        Assert.Equal(0, await _outbox.DispatchPendingAsync("C1", CancellationToken.None));
        await _outbox.DispatchAsync(saved.Outbox, CancellationToken.None); // a re-run of the stopped dispatcher

        Assert.Equal(["lost.0", "lost.1", "next.0", "next.1"], await LedgerKindsAsync("C1"));
        Assert.Equal(["lost", "next"], (await NotificationsAsync("C1")).Select(n => n.Summary));
        Assert.Empty(await _outbox.PendingAsync("C1", CancellationToken.None));
    }

    [Fact]
    public async Task A_dispatch_that_stopped_half_way_is_completed_without_appending_an_entry_twice()
    {
        await _tasks.CreateAsync(Active("S1"), CancellationToken.None);
        var saved = await WriteAsync("S1", Effects("S1", "half"));
        _crashing.ThrowAfterNextAppend = true;

        await Assert.ThrowsAsync<CrashException>(() => _outbox.DispatchAsync(saved.Outbox, CancellationToken.None));

        Assert.Equal(["half.0"], await LedgerKindsAsync("S1"));
        _crashing.Restart();

        Assert.Equal(3, await _outbox.DispatchPendingAsync("S1", CancellationToken.None));

        Assert.Equal(["half.0", "half.1"], await LedgerKindsAsync("S1"));
        Assert.Single(await NotificationsAsync("S1"));
        Assert.Empty(await _outbox.PendingAsync("S1", CancellationToken.None));
    }

    [Fact]
    public async Task Two_dispatchers_racing_over_the_same_rows_deliver_each_effect_once()
    {
        await _tasks.CreateAsync(Active("R1"), CancellationToken.None);
        var saved = await WriteAsync("R1", Effects("R1", "raced"));

        await Task.WhenAll(
            _outbox.DispatchAsync(saved.Outbox, CancellationToken.None),
            _outbox.DispatchPendingAsync("R1", CancellationToken.None),
            _outbox.DispatchPendingAsync("R1", CancellationToken.None));

        Assert.Equal(["raced.0", "raced.1"], await LedgerKindsAsync("R1"));
        Assert.Single(await NotificationsAsync("R1"));
        Assert.Empty(await _outbox.PendingAsync("R1", CancellationToken.None));
    }

    [Fact]
    public async Task A_downstream_release_commits_each_tasks_effects_in_its_own_partition_and_a_retried_release_lands_them_once()
    {
        var edges = new DependencyIndex(_tables);
        var release = new DownstreamRelease(_tasks, edges, _outbox, TimeProvider.System);
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

        // RD1's activity commits its release with its outbox rows, then its process stops.
        await Assert.ThrowsAsync<CrashException>(() => release.ReleaseAsync(sealedUpstream, "RD1", CancellationToken.None));

        Assert.NotEmpty(await _outbox.PendingAsync("RD1", CancellationToken.None));
        Assert.Equal(TaskState.Ready, (await _tasks.GetRowAsync("RD1", CancellationToken.None))!.Task.State);
        _crashing.Restart();

        // The engine runs RD1's activity again, and RD2's.
        var retried = await release.ReleaseAsync(sealedUpstream, "RD1", CancellationToken.None);
        var second = await release.ReleaseAsync(sealedUpstream, "RD2", CancellationToken.None);

        Assert.Equal((false, false), (retried.Written, retried.Released));
        Assert.Equal((true, true), (second.Written, second.Released));
        foreach (var id in new[] { "RD1", "RD2" })
        {
            Assert.Equal(["task.released"], await LedgerKindsAsync(id));
            Assert.Single(await _notifier.PendingAsync(CancellationToken.None), n => n.Recipient == "owner-" + id);
            Assert.Empty(await _outbox.PendingAsync(id, CancellationToken.None));
        }
    }

    /// <summary>A write as governance makes it: the record with its effects as outbox rows, in one transaction.</summary>
    private async Task<StoredTask> WriteAsync(string taskId, TaskEffects effects)
    {
        var stored = (await _tasks.GetAsync(taskId, CancellationToken.None))!;
        var next = stored.Record with { Task = stored.Record.Task with { Title = stored.Record.Task.Title + "!" } };
        return await _tasks.SaveAsync(stored, next, effects, CancellationToken.None);
    }

    private static TaskEffects Effects(string taskId, string what) => new(
        [
            new LedgerEntry("governance", what + ".0", taskId, Operator.Id, new JsonObject { ["n"] = 0 }),
            new LedgerEntry("governance", what + ".1", taskId, Operator.Id, null),
        ],
        [new Notification("task.changed", "tnguyen", taskId, what, null)]);

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
