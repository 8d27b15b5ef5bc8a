using Azure.Data.Tables;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Ledger;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Governance;
using static Panaptico.Storage.Tests.Governance.GovernanceSample;

namespace Panaptico.Storage.Tests.Governance;

public sealed class DownstreamReleaseTests
{
    [Fact]
    public async Task A_seal_reads_and_writes_only_the_tasks_waiting_on_it_and_replaying_it_changes_nothing()
    {
        var tables = await TablesAsync();
        var tasks = new TaskRepository(tables);
        var edges = new DependencyIndex(tables);
        var notifier = new RecordingNotifier();
        var ledger = new RecordingLedger();
        var release = new DownstreamRelease(tasks, edges, new TaskOutbox(tables, ledger, notifier), TimeProvider.System);
        var upstream = Active("UP");
        var other = Active("OTHER");
        await tasks.CreateAsync(upstream, CancellationToken.None);
        await tasks.CreateAsync(other, CancellationToken.None);
        foreach (var (id, upstreams) in new[] { ("D1", new[] { upstream }), ("D2", [upstream, other]), ("D3", [other]) })
        {
            var created = Ok(TaskLifecycle.Create(GovernanceSample.Plan, new NewTask(id, GovernanceSample.Plan.Id, "W1", id, "owner-" + id) { UpstreamIds = [.. upstreams.Select(u => u.Id)], Requirements = Requirements },
                [.. upstreams.Select(u => u.Task)], Operator, Now));
            await edges.AddAsync(created.Edges, CancellationToken.None);
            await tasks.CreateAsync(Ok(TaskLifecycle.MarkReady(created.Record, Operator, "declared", Now)), CancellationToken.None);
        }

        var untouched = await ETagAsync(tables, "D3");
        var sealedUpstream = upstream.Task with { State = TaskState.Sealed, Seal = new TaskSeal(new string('a', 64), Operator.Id, Now) };

        var summary = await release.RunAsync(sealedUpstream, CancellationToken.None);

        Assert.Equal((2, 2), (summary.Touched, summary.Written));
        Assert.Equal<string>(["D1"], summary.Released);
        Assert.Equal(TaskState.Ready, (await tasks.GetRowAsync("D1", CancellationToken.None))!.Task.State);
        var d2 = (await tasks.GetRowAsync("D2", CancellationToken.None))!.Task;
        Assert.Equal((TaskState.Blocked, "OTHER"), (d2.State, Assert.Single(d2.PendingUpstreamIds)));
        Assert.Equal(untouched, await ETagAsync(tables, "D3"));
        Assert.Equal(["task.released"], ledger.Entries.Select(e => e.Kind));
        Assert.Equal(["owner-D1"], notifier.Sent.Select(n => n.Recipient));

        var replay = await release.RunAsync(sealedUpstream, CancellationToken.None);

        Assert.Equal((2, 0), (replay.Touched, replay.Written));
        Assert.Empty(replay.Released);
        Assert.Single(ledger.Entries);
    }

    private static async Task<string> ETagAsync(GovernanceTables tables, string taskId) =>
        (await tables.Tasks.GetEntityAsync<TableEntity>(taskId, "task")).Value.ETag.ToString();

    private sealed class RecordingLedger : ILedgerAppender
    {
        public List<LedgerEntry> Entries { get; } = [];

        public Task<LedgerRecord> AppendAsync(LedgerEntry entry, CancellationToken cancellationToken)
        {
            lock (Entries)
            {
                Entries.Add(entry);
            }

            return Task.FromResult<LedgerRecord>(null!);
        }
    }

    private sealed class RecordingNotifier : INotifier
    {
        public List<Notification> Sent { get; } = [];

        public Task NotifyAsync(Notification notification, CancellationToken cancellationToken)
        {
            Sent.Add(notification);
            return Task.CompletedTask;
        }
    }
}
