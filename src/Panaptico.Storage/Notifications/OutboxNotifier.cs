using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Notifications;

namespace Panaptico.Storage.Notifications;

/// <summary>
/// The notifier until Teams delivery exists: every notification lands in an outbox table for a delivery worker
/// (Teams, mail) to drain and mark delivered. One with a <see cref="Notification.NotificationId"/> lands once: its row
/// key is derived from the id and a second send finds the row there.
/// </summary>
public sealed class OutboxNotifier(TableClient outbox, TimeProvider time) : INotifier
{
    private const string Partition = "pending";
    private const string IdPrefix = "id-";

    public async Task NotifyAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        var now = time.GetUtcNow();
        // Row keys without an id sort by time; the suffix keeps two notifications of the same tick apart.
        var rowKey = notification.NotificationId is { } id ? IdPrefix + Key(id) : $"{now.UtcTicks:D19}-{Guid.NewGuid():N}";
        try
        {
            await outbox.AddEntityAsync(new TableEntity(Partition, rowKey)
            {
                ["Kind"] = notification.Kind,
                ["Recipient"] = notification.Recipient,
                ["Subject"] = notification.Subject,
                ["Summary"] = notification.Summary,
                ["Data"] = notification.Data?.ToJsonString(),
                ["NotificationId"] = notification.NotificationId,
                ["CreatedAt"] = now,
            }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409 && notification.NotificationId is not null)
        {
            // Sent before under the same id.
        }
    }

    /// <summary>Pending notifications, oldest first.</summary>
    public async Task<IReadOnlyList<Notification>> PendingAsync(CancellationToken cancellationToken)
    {
        var pending = new List<(DateTimeOffset At, string Key, Notification Notification)>();
        await foreach (var row in outbox.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            pending.Add((row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue, row.RowKey, new Notification(
                row.GetString("Kind"), row.GetString("Recipient"), row.GetString("Subject"), row.GetString("Summary"),
                row.GetString("Data") is { } data ? JsonNode.Parse(data) as JsonObject : null)
            {
                NotificationId = row.GetString("NotificationId"),
            }));
        }

        return [.. pending.OrderBy(p => p.At).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Notification)];
    }

    /// <summary>Ids may hold characters row keys refuse ('/', '#', '?', '\'): the key is their hash.</summary>
    private static string Key(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
}
