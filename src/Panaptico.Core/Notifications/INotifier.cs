using System.Text.Json.Nodes;

namespace Panaptico.Core.Notifications;

/// <summary>
/// A message for a person or channel (task owner released, approval requested, change closed).
/// Delivered by the notifier: an outbox table now, Teams later.
/// </summary>
public sealed record Notification(string Kind, string Recipient, string Subject, string Summary, JsonObject? Data)
{
    /// <summary>
    /// The notification's idempotency key, derived from the write or step that sends it (e.g. "TASK-0412/v7/2"):
    /// sending one whose id was sent before sends nothing. Null: sent every time.
    /// </summary>
    public string? NotificationId { get; init; }
}

public interface INotifier
{
    Task NotifyAsync(Notification notification, CancellationToken cancellationToken);
}
