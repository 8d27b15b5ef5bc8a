using System.Globalization;
using System.Text.Json.Nodes;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Remediation.Chain;

namespace Panaptico.Functions.Teams;

/// <summary>The cards the bot posts and answers with, for a change record.</summary>
public static class BotCards
{
    /// <summary>Teams rejects <c>application/vnd.microsoft.adaptive.card</c>, which some docs still show.</summary>
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    public static JsonObject Approval(ChangeState state, DateTimeOffset now, IEnumerable<string> userIds)
    {
        ArgumentNullException.ThrowIfNull(state);
        var data = new JsonObject { ["changeId"] = state.Id.ToString(), ["contextPackSha256"] = state.ApprovalGate?.ContextPackHash };
        return Card(
            [Text($"{state.Id} · {state.Plan.Action}", bold: true), Text($"asset: {state.Plan.Asset.DisplayName}"), Text($"expires: {Minute(state.ApprovalExpiresAt)}")],
            [
                new JsonObject { ["type"] = "Action.Execute", ["title"] = "Approve", ["verb"] = "approval.approve", ["style"] = "positive", ["associatedInputs"] = "none", ["data"] = data.DeepClone() },
                new JsonObject
                {
                    ["type"] = "Action.ShowCard", ["title"] = "Deny…",
                    ["card"] = new JsonObject
                    {
                        ["type"] = "AdaptiveCard",
                        ["body"] = new JsonArray(new JsonObject { ["type"] = "Input.Text", ["id"] = "reason", ["label"] = "Reason", ["isMultiline"] = true, ["isRequired"] = true, ["errorMessage"] = "A reason is required to deny.", ["maxLength"] = 500 }),
                        ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["title"] = "Deny", ["verb"] = "approval.deny", ["style"] = "destructive", ["data"] = data.DeepClone() }),
                    },
                },
            ],
            new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "approval.refresh", ["data"] = new JsonObject { ["changeId"] = state.Id.ToString() } }, ["userIds"] = new JsonArray([.. userIds.Take(60).Select(u => (JsonNode)JsonValue.Create(u))]) });
    }

    public static JsonObject Decided(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var decision = state.Approval;
        var outcome = decision?.Outcome == ApprovalOutcome.Denied ? "Denied" : "Approved";
        return Card([Text($"{state.Id} · {outcome}", bold: true), Text($"by {decision?.ApproverName} at {Minute(decision?.At)}"), Text(decision?.Reason ?? "")]);
    }

    public static JsonObject Expired(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Card([Text($"{state.Id} · Expired", bold: true), Text($"Nobody decided before {Minute(state.ApprovalExpiresAt)}; nothing was changed.")]);
    }

    public static JsonObject NotYours(ChangeState state, string viewer, string why)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Card([Text($"{state.Id} · not yours to decide", bold: true), Text($"{viewer}: {why}")]);
    }

    public static JsonObject CloseOut(ChangeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return Card([Text($"{state.Id} closed", bold: true), Text(state.CloseOut?.Render() ?? "")]);
    }

    /// <summary>A governed task's seat awaiting its approver, with the signatures so far.</summary>
    public static JsonObject TaskSeat(TaskRecord record, ApprovalSeat seat)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(seat);
        var gate = record.Approvals!;
        var data = new JsonObject { ["taskId"] = record.Id, ["seat"] = seat.Id, ["contextPackSha256"] = gate.ContextPackHash };
        var chain = gate.Signatures.Where(s => s.IsValid).Select(s => Text($"{s.SeatId}: {s.Verdict} by {s.ApproverName} ({Minute(s.SignedAt)})"));
        return Card(
            [Text($"{record.Id} · {record.Task.Title}", bold: true), Text($"seat {seat.Id}: {seat.RoutedBecause}"), Text($"expires: {Minute(seat.ExpiresAt)}"), .. chain,
             new JsonObject { ["type"] = "Input.Text", ["id"] = "rationale", ["label"] = "Rationale", ["isRequired"] = true, ["errorMessage"] = "A rationale is required.", ["maxLength"] = 500 }],
            [
                new JsonObject { ["type"] = "Action.Execute", ["title"] = "Approve", ["verb"] = "task.approve", ["style"] = "positive", ["data"] = data.DeepClone() },
                new JsonObject
                {
                    ["type"] = "Action.ShowCard", ["title"] = "Deny…",
                    ["card"] = new JsonObject
                    {
                        ["type"] = "AdaptiveCard",
                        ["body"] = new JsonArray(new JsonObject { ["type"] = "Input.Text", ["id"] = "reason", ["label"] = "Reason", ["isMultiline"] = true, ["isRequired"] = true, ["errorMessage"] = "A reason is required to deny.", ["maxLength"] = 500 }),
                        ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["title"] = "Deny", ["verb"] = "task.deny", ["style"] = "destructive", ["data"] = data.DeepClone() }),
                    },
                },
            ],
            new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "task.refresh", ["data"] = new JsonObject { ["taskId"] = record.Id, ["seat"] = seat.Id } }, ["userIds"] = new JsonArray([.. seat.Approver.Members.Take(60).Select(u => (JsonNode)JsonValue.Create(u))]) });
    }

    /// <summary>A task seat once signed, denied or expired: who, when, outcome, no buttons.</summary>
    public static JsonObject TaskSeatClosed(TaskRecord record, ApprovalSeat seat)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(seat);
        var signature = record.Approvals?.ValidSignatureOf(seat.Id);
        return signature is null
            ? Card([Text($"{record.Id} · seat {seat.Id} · {seat.State}", bold: true)])
            : Card([Text($"{record.Id} · seat {seat.Id} · {signature.Verdict}", bold: true), Text($"by {signature.ApproverName} at {Minute(signature.SignedAt)}"), Text(signature.Rationale)]);
    }

    public static JsonObject TaskNotYours(TaskRecord record, string viewer, string why)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Card([Text($"{record.Id} · not yours to decide", bold: true), Text($"{viewer}: {why}")]);
    }

    private static JsonObject Card(IEnumerable<JsonNode> body, IEnumerable<JsonNode>? actions = null, JsonObject? refresh = null)
    {
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["version"] = "1.5",
            ["body"] = new JsonArray([.. body]),
        };
        if (refresh is not null)
        {
            card["refresh"] = refresh;
        }
        if (actions is not null)
        {
            card["actions"] = new JsonArray([.. actions]);
        }
        return card;
    }

    private static JsonObject Text(string text, bool bold = false) => bold
        ? new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true, ["weight"] = "Bolder" }
        : new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };

    private static string Minute(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) ?? "—";
}
