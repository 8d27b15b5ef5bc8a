using System.Text.Json.Nodes;
using static Panaptico.Core.Teams.CardElements;

namespace Panaptico.Core.Teams;

/// <summary>
/// The approval cards (Adaptive Card 1.5, Universal Actions), one entry point per card. Pure: a typed model in, the card
/// JSON out; the same model always gives the same card.
/// </summary>
public static class ApprovalCards
{
    /// <summary>
    /// A change record's approval request: the ticket, the action and its exact command, the asset, the expiry, the context
    /// pack's summary and hash, each seat with why it was routed. Approve is one tap (<see cref="CardVerbs.ApprovalApprove"/>);
    /// Deny opens a required reason (<see cref="CardVerbs.ApprovalDeny"/>); the card refreshes for the routed approvers.
    /// </summary>
    public static JsonObject ForChange(ChangeApprovalCardModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var body = new List<JsonNode?>
        {
            Heading(model.Headline),
            Text($"Approval requested · expires {Minute(model.ExpiresAt)}", color: "Attention", spacing: "None"),
            Facts([
                ("Violation", model.Ticket.Violation),
                ("Asset", model.Ticket.Asset),
                ("Framework", model.Ticket.Framework),
                ("Severity", model.Ticket.Severity),
                ("Owner", model.Ticket.Owner),
                ("Detected", Second(model.Ticket.Detected)),
            ]),
            Section("Action"),
            Facts([
                ("Action", model.Action),
                ("Asset", model.AssetName),
                ("Scheduled", "pending approval"),
                ("Expires", Minute(model.ExpiresAt)),
            ]),
            Container([Text(model.Command, monospace: true, size: "Small")], style: "emphasis"),
        };
        if (model.IrreversibleReason is { } irreversible)
        {
            body.Add(Text($"This fix cannot be undone: {irreversible}. Approving acknowledges it.", weight: "Bolder", color: "Attention"));
        }
        if (model.ContextPack is { } pack)
        {
            body.Add(Section("Context pack"));
            body.Add(Facts([
                ("Scope", pack.PostureScope),
                ("Window", $"{Minute(pack.WindowStart)} → {Minute(pack.WindowEnd)}"),
                ("Reversal", pack.ReversalTrigger),
            ]));
            body.Add(Text($"sha256 {pack.Sha256}", monospace: true, size: "Small", subtle: true));
        }
        body.AddRange(SeatsSection(model.Seats));

        var data = new JsonObject { [CardData.ChangeId] = model.ChangeId };
        if (model.ContextPack is { } hashed)
        {
            data[CardData.ContextPackSha256] = hashed.Sha256;
        }
        var approveData = (JsonObject)data.DeepClone();
        if (model.IrreversibleReason is not null)
        {
            approveData[CardData.AcknowledgesIrreversible] = true;
        }
        var actions = new JsonNode[]
        {
            Execute(model.IrreversibleReason is null ? "Approve" : "Approve (irreversible)", CardVerbs.ApprovalApprove, approveData, "positive"),
            ShowCard("Deny…", InnerCard(
                [RequiredText(CardData.Reason, "Reason", "A reason is required to deny.", "Why this change must not run", CardData.MaxTextLength)],
                [Execute("Deny", CardVerbs.ApprovalDeny, (JsonObject)data.DeepClone(), "destructive", sendsInputs: true)])),
        };
        return Card(body, actions, RefreshFor(CardVerbs.ApprovalRefresh, new JsonObject { [CardData.ChangeId] = model.ChangeId }, model.RefreshUserIds));
    }

    /// <summary>
    /// A governed task's seat: the context pack in full with its hash, why this seat was routed, and the signature chain
    /// so far. A task's signature carries a rationale, so Approve and Deny each open a required text.
    /// </summary>
    public static JsonObject ForTaskSeat(TaskSeatCardModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var pack = model.ContextPack;
        var body = new List<JsonNode?>
        {
            Heading(model.Headline),
            Text(model.ExpiresAt is { } expires
                ? $"Your signature is requested on seat {model.Seat.SeatId} · expires {Minute(expires)}"
                : $"Your signature is requested on seat {model.Seat.SeatId}", color: "Attention", spacing: "None"),
            Facts([
                ("Seat", $"{model.Seat.SeatId} → {Approver(model.Seat)}"),
                ("Routed because", model.Seat.RoutedBecause),
                ("Progress", model.Progress),
            ]),
            Section("Context pack"),
            Facts([
                ("Impact", pack.Impact),
                ("Workload diff", pack.WorkloadDiff),
                ("Change window", $"{Minute(pack.WindowStart)} → {Minute(pack.WindowEnd)}"),
                ("Posture scope", pack.PostureScope),
                ("Reversal trigger", pack.ReversalTrigger),
            ]),
            Text($"sha256 {pack.Sha256}", monospace: true, size: "Small", subtle: true),
        };
        body.AddRange(SeatsSection(model.Chain, "Signature chain"));

        JsonObject Data() => new()
        {
            [CardData.TaskId] = model.TaskId,
            [CardData.Seat] = model.Seat.SeatId,
            [CardData.ContextPackSha256] = pack.Sha256,
        };
        var actions = new JsonNode[]
        {
            ShowCard("Approve…", InnerCard(
                [RequiredText(CardData.Rationale, "Rationale", "A rationale is required to sign.", "Why this is safe to run", CardData.MaxTextLength)],
                [Execute("Approve", CardVerbs.TaskApprove, Data(), "positive", sendsInputs: true)])),
            ShowCard("Deny…", InnerCard(
                [RequiredText(CardData.Reason, "Reason", "A reason is required to deny.", "Why this task must not go ahead", CardData.MaxTextLength)],
                [Execute("Deny", CardVerbs.TaskDeny, Data(), "destructive", sendsInputs: true)])),
        };
        var refreshData = new JsonObject { [CardData.TaskId] = model.TaskId, [CardData.Seat] = model.Seat.SeatId };
        return Card(body, actions, RefreshFor(CardVerbs.TaskRefresh, refreshData, model.RefreshUserIds));
    }

    /// <summary>The card after a decision, for everyone who holds it: who, when, the outcome and the reason. No buttons.</summary>
    public static JsonObject Decided(DecidedCardModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var approved = model.Outcome == CardOutcome.Approved;
        var verdict = model.SeatId is null
            ? approved ? "Approved" : "Denied"
            : approved ? $"Seat {model.SeatId} signed" : $"Denied from seat {model.SeatId}";
        var facts = new List<(string, string)>
        {
            ("Decided by", $"{model.DeciderName} ({model.DeciderId})"),
            ("At", Second(model.At)),
        };
        if (model.How is { } how)
        {
            facts.Add(("How", how));
        }
        if (model.Reason is { } reason)
        {
            facts.Add((approved ? "Rationale" : "Reason", reason));
        }
        if (model.Progress is { } progress)
        {
            facts.Add(("Progress", progress));
        }
        return Card([
            Heading(model.Headline),
            Text(verdict, weight: "Bolder", color: approved ? "Good" : "Attention", spacing: "None"),
            Facts(facts),
            Text(approved
                ? model.SeatId is null ? "The plan runs; the close-out goes to the audit channel." : "The other seats decide the rest."
                : "Closed as won't-fix with the reason on the record. Nothing was changed.", subtle: true),
        ]);
    }

    /// <summary>The card once the request's time is over. No buttons.</summary>
    public static JsonObject Expired(ExpiredCardModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Card([
            Heading(model.Headline),
            Text($"Expired at {Minute(model.ExpiredAt)}", weight: "Bolder", color: "Warning", spacing: "None"),
            Text(model.Consequence),
        ]);
    }

    /// <summary>The card for someone who may not decide this request: why, and who may. No buttons.</summary>
    public static JsonObject NotYours(NotYoursCardModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var body = new List<JsonNode?>
        {
            Heading(model.Headline),
            Text($"{model.ViewerName}, you may not decide this request", weight: "Bolder", color: "Attention", spacing: "None"),
            Text(model.Why),
        };
        if (model.RoutedTo.Count > 0)
        {
            body.Add(Facts([("Routed to", string.Join(", ", model.RoutedTo))]));
        }
        body.Add(Text("Nothing was recorded.", subtle: true));
        return Card(body);
    }

    private static IEnumerable<JsonNode> SeatsSection(IReadOnlyList<SeatFacts> seats, string title = "Routed to")
    {
        if (seats.Count == 0)
        {
            yield break;
        }
        yield return Section(title);
        foreach (var seat in seats)
        {
            var items = new List<JsonNode?>
            {
                Text($"{Approver(seat)} · seat {seat.SeatId}", weight: "Bolder"),
                Text($"Routed because: {seat.RoutedBecause}", spacing: "None"),
                Text(seat.Status, subtle: true, spacing: "None"),
            };
            if (seat.Rationale is { } rationale)
            {
                items.Add(Text($"“{rationale}” — {seat.SignedByName}", spacing: "None"));
            }
            yield return Container(items);
        }
    }

    private static string Approver(SeatFacts seat) => seat.ApproverTitle is { } title ? $"{seat.ApproverName} · {title}" : seat.ApproverName;

    private static JsonObject? RefreshFor(string verb, JsonObject data, IReadOnlyList<string> userIds) =>
        userIds.Count == 0 ? null : Refresh(verb, data, userIds.Take(AdaptiveCardContent.MaxRefreshUserIds));
}
