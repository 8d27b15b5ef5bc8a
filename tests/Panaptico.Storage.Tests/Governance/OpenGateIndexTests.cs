using Panaptico.Storage.Governance;
using static Panaptico.Storage.Tests.Governance.GovernanceSample;

namespace Panaptico.Storage.Tests.Governance;

public sealed class OpenGateIndexTests
{
    private static readonly DateTimeOffset T = new(2026, 4, 24, 13, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_routed_task_is_due_when_its_earliest_open_seat_expires()
    {
        var record = Routed(Active("TASK-0412"));

        var next = OpenGateIndex.NextExpiryOf(record);

        Assert.Equal(Now + TimeSpan.FromDays(3), next);
        Assert.Null(OpenGateIndex.NextExpiryOf(Active("TASK-0413")));
    }

    [Fact]
    public async Task Marking_lowers_the_time_but_never_raises_it()
    {
        var index = new OpenGateIndex(await TablesAsync());

        await index.MarkAsync("TASK-1", T, CancellationToken.None);
        await index.MarkAsync("TASK-1", T.AddHours(5), CancellationToken.None);
        await index.MarkAsync("TASK-1", T.AddHours(-1), CancellationToken.None);

        Assert.Equal(T.AddHours(-1), (await index.AllAsync(CancellationToken.None))["TASK-1"]);
    }

    [Fact]
    public async Task A_sync_of_an_older_version_never_overwrites_a_newer_one()
    {
        var index = new OpenGateIndex(await TablesAsync());

        await index.SyncAsync("TASK-1", 5, T, CancellationToken.None);
        await index.SyncAsync("TASK-1", 4, T.AddDays(1), CancellationToken.None);
        await index.SyncAsync("TASK-1", 4, null, CancellationToken.None);

        Assert.Equal(T, (await index.AllAsync(CancellationToken.None))["TASK-1"]);

        await index.SyncAsync("TASK-1", 6, null, CancellationToken.None);
        Assert.Empty(await index.AllAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Only_tasks_due_by_now_are_read()
    {
        var index = new OpenGateIndex(await TablesAsync());
        await index.SyncAsync("TASK-LATE", 1, T.AddHours(2), CancellationToken.None);
        await index.SyncAsync("TASK-DUE", 1, T.AddHours(-2), CancellationToken.None);
        await index.SyncAsync("TASK-NOW", 1, T, CancellationToken.None);

        Assert.Equal(["TASK-DUE", "TASK-NOW"], await index.DueAsync(T, CancellationToken.None));
    }
}
