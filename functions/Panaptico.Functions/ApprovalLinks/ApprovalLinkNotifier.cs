using System.Text.Json.Nodes;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>
/// Adds to each change's approval request (<c>approval.requested</c>, one per routed seat) a signed link for each of the
/// seat's members, in its data as <c>approvalLinks: [{approver, path, url, expiresAt}]</c>, then sends it on. A
/// request sent again (activities run at least once) carries links with the same ids, so they share one use.
/// </summary>
public sealed class ApprovalLinkNotifier(INotifier inner, ApprovalLinkIssuer links) : INotifier
{
    public const string Kind = "approval.requested";

    public async Task NotifyAsync(Notification notification, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification is not { Kind: Kind, Data: { } data }
            || !ChangeId.TryParse((string?)data["subject"], out var changeId)
            || (string?)data["contextPackSha256"] is not { Length: > 0 } hash
            || data["members"] is not JsonArray members)
        {
            await inner.NotifyAsync(notification, cancellationToken);
            return;
        }
        var seat = (string?)data["seat"];
        DateTimeOffset? notAfter = DateTimeOffset.TryParse((string?)data["expiresAt"], out var at) ? at : null;
        var issued = new JsonArray();
        foreach (var member in members.Select(m => (string?)m).OfType<string>())
        {
            var link = await links.IssueAsync(changeId.Value.ToString(), seat, member, member, hash, notAfter, cancellationToken);
            issued.Add(new JsonObject
            {
                ["approver"] = member,
                ["path"] = link.Path,
                ["url"] = link.Url?.ToString(),
                ["expiresAt"] = link.Claims.ExpiresAt,
            });
        }
        var enriched = (JsonObject)data.DeepClone();
        enriched["approvalLinks"] = issued;
        await inner.NotifyAsync(notification with { Data = enriched }, cancellationToken);
    }
}
