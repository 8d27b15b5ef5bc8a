using System.Text.Json.Nodes;

namespace Panaptico.Core.Notifications;

/// <summary>
/// A message for a person or channel (task owner released, approval requested, change closed).
/// Delivered by the notifier: an outbox table now, Teams later.
/// </summary>
public sealed record Notification(string Kind, string Recipient, string Subject, string Summary, JsonObject? Data);

public interface INotifier
{
    Task NotifyAsync(Notification notification, CancellationToken cancellationToken);
}
