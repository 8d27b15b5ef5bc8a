using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Panaptico.Core.ApprovalLinks;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Teams;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>
/// The approval link's pages: plain HTML with two forms, no script, every value encoded. The approver sees what the
/// approval card shows (change, action, asset, the exact command, expiry, context pack hash) and decides once.
/// </summary>
public static class ConfirmPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Form(ChangeState state, ApprovalLinkClaims claims)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(claims);
        var hash = state.ApprovalGate?.ContextPackHash ?? "";
        var seat = state.ApprovalGate?.Seats.FirstOrDefault(s => s.Id == claims.SeatId);
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1 id=\"change\">{E(state.Id.ToString())}</h1>");
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"lead\">{E(state.Plan.Action)} · approval requested of {E(claims.ApproverName)}</p>");
        body.Append("<dl>");
        Row(body, "Action", state.Plan.Action);
        Row(body, "Asset", state.Plan.Asset.ToString());
        Row(body, "Violation", state.Ticket.Violation.ToString());
        Row(body, "Severity", state.Ticket.Severity.ToString().ToLowerInvariant());
        Row(body, "Owner", state.Ticket.Owner);
        if (state.ApprovalExpiresAt is { } expires)
        {
            Row(body, "Request expires", Minute(expires));
        }
        Row(body, "This link expires", Minute(claims.ExpiresAt));
        if (seat is not null)
        {
            Row(body, "Seat", $"{seat.Id} → {seat.Approver.Name}");
            Row(body, "Routed because", seat.RoutedBecause);
        }
        if (state.ApprovalGate is { } gate)
        {
            Row(body, "Context pack", $"{gate.ContextPack.PostureScope}; {gate.ContextPack.ReversalTrigger}");
            Row(body, "Context pack sha256", hash);
        }
        body.Append("</dl>");
        body.Append(CultureInfo.InvariantCulture, $"<h2>Command</h2><pre id=\"command\">{E(state.Plan.Command)}</pre>");
        if (state.IrreversibleReason is { } irreversible)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\">This fix cannot be undone: {E(irreversible)}.</p>");
        }

        body.Append("<form method=\"post\" id=\"approve\"><input type=\"hidden\" name=\"decision\" value=\"approve\">");
        body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"contextPackSha256\" value=\"{E(hash)}\">");
        body.Append(CultureInfo.InvariantCulture, $"<label for=\"rationale\">Rationale (optional)</label><textarea id=\"rationale\" name=\"rationale\" maxlength=\"{CardData.MaxTextLength}\"></textarea>");
        if (state.IrreversibleReason is not null)
        {
            body.Append("<label><input type=\"checkbox\" name=\"acknowledgesIrreversible\" value=\"true\" required> I understand this cannot be undone</label>");
        }
        body.Append("<button type=\"submit\" class=\"approve\">Approve</button></form>");

        body.Append("<form method=\"post\" id=\"deny\"><input type=\"hidden\" name=\"decision\" value=\"deny\">");
        body.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"contextPackSha256\" value=\"{E(hash)}\">");
        body.Append(CultureInfo.InvariantCulture, $"<label for=\"reason\">Reason (required to deny)</label><textarea id=\"reason\" name=\"reason\" required maxlength=\"{CardData.MaxTextLength}\"></textarea>");
        body.Append("<button type=\"submit\" class=\"deny\">Deny</button></form>");
        body.Append("<p class=\"small\">This link works once. It acts as you, the routed approver; do not forward it.</p>");
        return Page($"{state.Id} · approval", body.ToString());
    }

    /// <summary>After the decision was recorded: what happened, and the change's stage now.</summary>
    public static string Recorded(string changeId, bool approved, JsonObject change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var stage = (string?)change["stage"] ?? "";
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1 id=\"change\">{E(changeId)}</h1>");
        body.Append(CultureInfo.InvariantCulture, $"<p id=\"outcome\" class=\"{(approved ? "ok" : "warn")}\">{(approved ? "Approved" : "Denied")} — recorded</p>");
        body.Append(CultureInfo.InvariantCulture, $"<dl><dt>Stage</dt><dd id=\"stage\">{E(stage)}</dd></dl>");
        body.Append(CultureInfo.InvariantCulture, $"<p>{(approved ? "The plan runs when every routed seat is signed; the close-out goes to the audit channel." : "The change closes as won't-fix with your reason on the record.")}</p>");
        body.Append("<p class=\"small\">This link is now used and will not work again.</p>");
        return Page($"{changeId} · {(approved ? "approved" : "denied")}", body.ToString());
    }

    /// <summary>A refusal, in words: nothing was decided or changed.</summary>
    public static string Refused(string title, string detail, string code)
    {
        var body = $"<h1 id=\"refused\">{E(title)}</h1><p id=\"detail\">{E(detail)}</p><p class=\"small\">Nothing was recorded or changed (<code>{E(code)}</code>).</p>";
        return Page(title, body);
    }

    private static void Row(StringBuilder body, string name, string value) =>
        body.Append(CultureInfo.InvariantCulture, $"<dt>{E(name)}</dt><dd>{E(value)}</dd>");

    private static string Minute(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string E(string text) => Html.Encode(text);

    private static string Page(string title, string body) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>{{E(title)}}</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; } dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
        pre { background: #f3f3f3; padding: .75rem; white-space: pre-wrap; } textarea { width: 100%; min-height: 4rem; }
        form { margin: 1rem 0; padding: 1rem; border: 1px solid #ddd; border-radius: 6px; } label { display: block; margin-bottom: .25rem; }
        button { margin-top: .5rem; padding: .5rem 1.25rem; font-size: 1rem; border: 0; border-radius: 4px; color: #fff; }
        .approve { background: #1a7f37; } .deny { background: #b42318; } .warn { color: #b42318; font-weight: 600; } .ok { color: #1a7f37; font-weight: 600; }
        .lead { margin-top: -.5rem; } .small { color: #666; font-size: .85rem; }
        </style></head><body>{{body}}</body></html>
        """;
}
