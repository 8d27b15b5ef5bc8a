using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Microsoft.Extensions.Time.Testing;
using Panaptico.Core.Notifications;
using Panaptico.Storage.Notifications;
using Panaptico.Testing;

namespace Panaptico.Storage.Tests.Notifications;

public class OutboxNotifierTests
{
    [Fact]
    public async Task Notifications_wait_in_the_outbox_in_the_order_they_were_sent()
    {
        var table = new TableServiceClient(await TestStorage.ConnectionStringAsync()).GetTableClient(TestStorage.UniqueName("outbox"));
        await table.CreateAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
        var notifier = new OutboxNotifier(table, time);

        await notifier.NotifyAsync(new Notification("task.released", "owner-a@acme.com", "TASK-0414", "TASK-0412 sealed; you can start",
            new JsonObject { ["upstream"] = "TASK-0412" }), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        await notifier.NotifyAsync(new Notification("task.released", "owner-b@acme.com", "TASK-0418", "TASK-0412 sealed; you can start", null),
            CancellationToken.None);

        var pending = await notifier.PendingAsync(CancellationToken.None);
        Assert.Equal(["TASK-0414", "TASK-0418"], pending.Select(n => n.Subject));
        Assert.Equal("TASK-0412", pending[0].Data!["upstream"]!.GetValue<string>());
        Assert.Null(pending[1].Data);
    }
}
