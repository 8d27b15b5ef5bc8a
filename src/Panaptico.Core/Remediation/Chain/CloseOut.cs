using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Panaptico.Core.Notifications;
using Panaptico.Core.Remediation.Assets;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Core.Remediation.Chain;

/// <summary>
/// The close-out record: the same fields, in the same order and format, on every run, so the audit channel
/// exports like a ledger. Posted to the notifier and written to the ledger as <c>change.closed</c>.
/// </summary>
public sealed record CloseOut(
    ChangeId ChangeId,
    string PatternId,
    string Violation,
    AssetId Asset,
    string ApproverId,
    string ApproverName,
    ApprovalMode ApprovalMode,
    DateTimeOffset ApprovedAt,
    DateTimeOffset Detected,
    DateTimeOffset Closed,
    DateTimeOffset? RollbackAvailableUntil)
{
    [JsonIgnore]
    public TimeSpan Duration => Closed - Detected;

    public string Render() => string.Join('\n',
        $"{ChangeId} closed",
        $"{Violation} remediated on",
        $"  {Asset.DisplayName}",
        $"approver: {ApproverName}",
        $"  ({ApprovalMode.ToString().ToLowerInvariant()}, {ApprovedAt.UtcDateTime:HH:mm:ss} UTC)",
        $"duration: {(int)Duration.TotalMinutes:D2}m {Duration.Seconds:D2}s (detect → close)",
        RollbackAvailableUntil is { } until
            ? $"rollback: available until {until.UtcDateTime:yyyy-MM-dd}"
            : "rollback: not available (irreversible)");

    public JsonObject ToJson() => new()
    {
        ["changeId"] = ChangeId.ToString(),
        ["pattern"] = PatternId,
        ["violation"] = Violation,
        ["asset"] = Asset.ToString(),
        ["approver"] = ApproverId,
        ["approverName"] = ApproverName,
        ["approvalMode"] = ApprovalMode.ToString().ToLowerInvariant(),
        ["approvedAt"] = Iso(ApprovedAt),
        ["detected"] = Iso(Detected),
        ["closed"] = Iso(Closed),
        ["durationMs"] = (long)Duration.TotalMilliseconds,
        ["rollbackAvailableUntil"] = RollbackAvailableUntil is { } until ? Iso(until) : null,
    };

    public Notification ToNotification(string recipient) =>
        new("change.closed", recipient, $"{ChangeId} closed", Render(), ToJson());

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
}
