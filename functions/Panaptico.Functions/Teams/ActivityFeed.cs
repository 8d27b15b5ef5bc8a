using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Users.Item.Teamwork.SendActivityNotification;

namespace Panaptico.Functions.Teams;

/// <summary>
/// The Teams activity feed through Microsoft Graph (<c>POST /users/{id}/teamwork/sendActivityNotification</c>), so an
/// approval request reaches the approver's phone; <c>approvalRequired</c> is declared in the Teams app manifest.
/// </summary>
public sealed class ActivityFeed(GraphServiceClient graph, TeamsOptions options)
{
    public const string ApprovalRequired = "approvalRequired";

    /// <summary>The Graph the feed posts to, as the delivery log records it.</summary>
    public string BaseUrl => graph.RequestAdapter.BaseUrl ?? "";

    public Task NotifyApprovalRequiredAsync(string userId, string subjectId, CancellationToken cancellationToken) =>
        graph.Users[userId].Teamwork.SendActivityNotification.PostAsync(new SendActivityNotificationPostRequestBody
        {
            Topic = new TeamworkActivityTopic
            {
                Source = TeamworkActivityTopicSource.Text,
                Value = "Approvals",
                WebUrl = options.FeedWebUrl.ToString(),
            },
            ActivityType = ApprovalRequired,
            PreviewText = new ItemBody { Content = $"{subjectId} needs your approval" },
            TemplateParameters = [new Microsoft.Graph.Models.KeyValuePair { Name = "subject", Value = subjectId }],
        }, cancellationToken: cancellationToken);
}
