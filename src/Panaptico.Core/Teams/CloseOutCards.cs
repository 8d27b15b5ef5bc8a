using System.Text.Json.Nodes;
using Panaptico.Core.Remediation.Chain;
using static Panaptico.Core.Teams.CardElements;

namespace Panaptico.Core.Teams;

/// <summary>
/// The close-out for the audit channel (the walkthrough's step 06): the same elements, facts and order on every run, so
/// the channel's export reads like a ledger. Only values change; an irreversible fix says so in the rollback fact.
/// </summary>
public static class CloseOutCards
{
    public static JsonObject For(CloseOut closeOut)
    {
        ArgumentNullException.ThrowIfNull(closeOut);
        var duration = closeOut.Duration;
        return Card([
            Heading($"{closeOut.ChangeId} closed"),
            Text($"{closeOut.Violation} remediated on {closeOut.Asset.DisplayName}", spacing: "None"),
            Facts([
                ("Change", closeOut.ChangeId.ToString()),
                ("Pattern", closeOut.PatternId),
                ("Asset", closeOut.Asset.ToString()),
                ("Approver", $"{closeOut.ApproverName} ({closeOut.ApprovalMode.ToString().ToLowerInvariant()}, {closeOut.ApprovedAt.UtcDateTime:HH:mm:ss} UTC)"),
                ("Detected", Second(closeOut.Detected)),
                ("Closed", Second(closeOut.Closed)),
                ("Duration", $"{(int)duration.TotalMinutes:D2}m {duration.Seconds:D2}s (detect → close)"),
                ("Rollback", closeOut.RollbackAvailableUntil is { } until
                    ? $"available until {until.UtcDateTime:yyyy-MM-dd}"
                    : "not available (irreversible)"),
            ]),
        ]);
    }
}
