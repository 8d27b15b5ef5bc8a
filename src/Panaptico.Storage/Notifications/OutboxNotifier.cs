using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Panaptico.Core.Notifications;

namespace Panaptico.Storage.Notifications;

/// <summary>
/// The notifier until Teams delivery exists: every notification lands in an outbox table, in the order sent,
/// for a delivery worker (Teams, mail) to drain and mark delivered.
/// </summary>
public sealed class OutboxNotifier(TableClient outbox, TimeProvider time) : INotifier
{
    public async Task NotifyAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var now = time.GetUtcNow();
        // Row keys sort by time; the suffix keeps two notifications of the same tick apart.
        var rowKey = $"{now.UtcTicks:D19}-{Guid.NewGuid():N}";
        await outbox.AddEntityAsync(new TableEntity("pending", rowKey)
        {
            ["Kind"] = notification.Kind,
            ["Recipient"] = notification.Recipient,
            ["Subject"] = notification.Subject,
            ["Summary"] = notification.Summary,
            ["Data"] = notification.Data?.ToJsonString(),
            ["CreatedAt"] = now,
        }, cancellationToken);
    }

    /// <summary>Pending notifications, oldest first.</summary>
    public async Task<IReadOnlyList<Notification>> PendingAsync(CancellationToken cancellationToken)
    {
        var pending = new List<Notification>();
        await foreach (var row in outbox.QueryAsync<TableEntity>(e => e.PartitionKey == "pending", cancellationToken: cancellationToken))
        {
            pending.Add(new Notification(
                row.GetString("Kind"), row.GetString("Recipient"), row.GetString("Subject"), row.GetString("Summary"),
                row.GetString("Data") is { } data ? JsonNode.Parse(data) as JsonObject : null));
        }
        return pending;
    }
}
