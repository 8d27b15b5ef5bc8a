using System.Text.Json.Nodes;
using Panaptico.Core.Teams;
using Panaptico.Core.Tests.Governance;
using Panaptico.Core.Tests.Remediation;

namespace Panaptico.Core.Tests.Teams;

public class ApprovalCardsTests
{
    [Fact]
    public void The_change_card_is_an_adaptive_card_1_5_with_the_ticket_the_action_the_exact_command_and_the_expiry()
    {
        var state = CardSamples.AwaitingApproval();

        var card = ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened));

        Assert.Equal(("AdaptiveCard", "1.5", "http://adaptivecards.io/schemas/adaptive-card.json"),
            ((string?)card["type"], (string?)card["version"], (string?)card["$schema"]));
        var text = CardText.Of(card);
        Assert.Equal($"{state.Id} · {state.Plan.Action}", CardText.Of(card)[0]);
        Assert.Contains($"Violation: {state.Ticket.Violation}", text);
        Assert.Contains($"Asset: {state.Ticket.Asset}", text);
        Assert.Contains("Severity: high", text);
        Assert.Contains($"Owner: {state.Ticket.Owner}", text);
        Assert.Contains("Detected: 2026-04-15 03:12:47 UTC", text);
        Assert.Contains($"Action: {state.Plan.Action}", text);
        Assert.Contains("Asset: customer-exports", text);
        Assert.Contains("Expires: 2026-04-15 04:12 UTC", text);
        Assert.Contains(state.Plan.Command, CardText.Of(card));
        Assert.StartsWith("az storage container set-permission", state.Plan.Command, StringComparison.Ordinal);
    }

    [Fact]
    public void The_change_card_carries_the_context_pack_summary_its_hash_and_why_each_seat_was_routed()
    {
        var state = CardSamples.AwaitingApproval();
        var gate = state.ApprovalGate!;

        var text = CardText.Of(ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened)));

        Assert.Contains($"Scope: {gate.ContextPack.PostureScope}", text);
        Assert.Contains($"Reversal: {gate.ContextPack.ReversalTrigger}", text);
        Assert.Contains($"sha256 {gate.ContextPackHash}", text);
        Assert.Contains("Nina Ramirez · Platform security on-call · seat domain-cost-owner", text);
        Assert.Contains("Routed because: Owns cost envelope & perf SLO for platform", text);
    }

    [Fact]
    public void Approve_is_one_tap_that_sends_the_change_id_and_the_hash_its_approver_saw()
    {
        var state = CardSamples.AwaitingApproval();

        var card = ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened));

        var approve = card["actions"]![0]!;
        Assert.Equal(("Action.Execute", "approval.approve", "Approve", "positive", "none"),
            ((string?)approve["type"], (string?)approve["verb"], (string?)approve["title"], (string?)approve["style"], (string?)approve["associatedInputs"]));
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["changeId"] = state.Id.ToString(), ["contextPackSha256"] = state.ApprovalGate!.ContextPackHash }, approve["data"]));
    }

    [Fact]
    public void Deny_sits_behind_a_show_card_with_a_required_labelled_reason_of_at_most_500_characters()
    {
        var state = CardSamples.AwaitingApproval();

        var card = ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened));

        var show = card["actions"]![1]!;
        Assert.Equal("Action.ShowCard", (string?)show["type"]);
        var reason = show["card"]!["body"]![0]!;
        Assert.Equal(("Input.Text", "reason", "Reason", true, true, "A reason is required to deny.", 500),
            ((string?)reason["type"], (string?)reason["id"], (string?)reason["label"], (bool)reason["isMultiline"]!, (bool)reason["isRequired"]!,
             (string?)reason["errorMessage"], (int)reason["maxLength"]!));
        var deny = show["card"]!["actions"]![0]!;
        Assert.Equal(("Action.Execute", "approval.deny", "destructive", "auto"),
            ((string?)deny["type"], (string?)deny["verb"], (string?)deny["style"], (string?)deny["associatedInputs"]));
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["changeId"] = state.Id.ToString(), ["contextPackSha256"] = state.ApprovalGate!.ContextPackHash }, deny["data"]));
    }

    [Fact]
    public void The_refresh_names_the_routed_approvers_and_at_most_60_of_them()
    {
        var state = CardSamples.AwaitingApproval();

        var routed = ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened));
        var many = ApprovalCards.ForChange(ChangeApprovalCardModel.From(state, CardSamples.Opened, Enumerable.Range(1, 75).Select(i => $"29:user{i}")));

        Assert.Equal(("Action.Execute", "approval.refresh", state.Id.ToString()),
            ((string?)routed["refresh"]!["action"]!["type"], (string?)routed["refresh"]!["action"]!["verb"], (string?)routed["refresh"]!["action"]!["data"]!["changeId"]));
        Assert.Equal(["nina.ramirez"], routed["refresh"]!["userIds"]!.AsArray().Select(u => (string?)u));
        Assert.Equal(60, many["refresh"]!["userIds"]!.AsArray().Count);
        Assert.Equal("29:user60", (string?)many["refresh"]!["userIds"]![59]);
    }

    [Fact]
    public void An_irreversible_fix_is_said_on_the_card_and_its_approve_acknowledges_it()
    {
        var model = ChangeApprovalCardModel.From(CardSamples.AwaitingApproval(), CardSamples.Opened) with { IrreversibleReason = "the deleted policy cannot be recreated" };

        var card = ApprovalCards.ForChange(model);

        Assert.Contains("This fix cannot be undone: the deleted policy cannot be recreated. Approving acknowledges it.", CardText.Of(card));
        Assert.Equal(("Approve (irreversible)", true), ((string?)card["actions"]![0]!["title"], (bool)card["actions"]![0]!["data"]!["acknowledgesIrreversible"]!));
        Assert.Null(card["actions"]![1]!["card"]!["actions"]![0]!["data"]!["acknowledgesIrreversible"]);
    }

    [Fact]
    public void The_task_seat_card_asks_for_its_seat_with_the_full_context_pack_and_the_signature_chain_so_far()
    {
        var gate = CardSamples.TaskGate();

        var card = ApprovalCards.ForTaskSeat(TaskSeatCardModel.From(CardSamples.Task, gate, "kms-policy-controls", CardSamples.TaskNow));

        var text = CardText.Of(card);
        Assert.Equal("TASK-0412 · Enforce KMS auto-rotation · 14 finance-domain CMKs", CardText.Of(card)[0]);
        Assert.Contains("Routed because: KMS policy change intersects SOC2 CC6.7 + ISO27001 A.10.1.2", text);
        Assert.Contains("Progress: 1 / 2 signed", text);
        Assert.Contains($"Impact: {Sample.Pack.Impact}", text);
        Assert.Contains($"Reversal trigger: {Sample.Pack.ReversalTrigger}", text);
        Assert.Contains("Change window: 2026-05-04 02:00 UTC → 2026-05-04 04:00 UTC", text);
        Assert.Contains($"sha256 {gate.ContextPackHash}", text);
        Assert.Contains("D. Park · VP Data Platform · seat domain-cost-owner", text);
        Assert.Contains("Approved · 2026-04-21 14:22Z", text);
        Assert.Contains("“Rotation window lands in low-traffic hours. Cost delta contained to the finance envelope.” — D. Park", text);
        Assert.Contains("Security Engineering · seat kms-policy-controls", text);
        Assert.Contains(text, t => t.StartsWith("Awaiting · routed 2026-04-21 13:00Z", StringComparison.Ordinal));
    }

    [Fact]
    public void The_task_seat_card_signs_and_denies_with_the_task_the_seat_and_the_hash_each_with_a_required_text()
    {
        var gate = CardSamples.TaskGate();

        var card = ApprovalCards.ForTaskSeat(TaskSeatCardModel.From(CardSamples.Task, gate, "kms-policy-controls", CardSamples.TaskNow));

        var expected = new JsonObject { ["taskId"] = "TASK-0412", ["seat"] = "kms-policy-controls", ["contextPackSha256"] = gate.ContextPackHash };
        var actions = card["actions"]!.AsArray();
        Assert.All(actions, a => Assert.Equal("Action.ShowCard", (string?)a!["type"]));
        var (approve, deny) = (actions[0]!["card"]!, actions[1]!["card"]!);
        Assert.Equal(("rationale", true, "task.approve"), ((string?)approve["body"]![0]!["id"], (bool)approve["body"]![0]!["isRequired"]!, (string?)approve["actions"]![0]!["verb"]));
        Assert.Equal(("reason", true, "task.deny"), ((string?)deny["body"]![0]!["id"], (bool)deny["body"]![0]!["isRequired"]!, (string?)deny["actions"]![0]!["verb"]));
        Assert.True(JsonNode.DeepEquals(expected, approve["actions"]![0]!["data"]));
        Assert.True(JsonNode.DeepEquals(expected, deny["actions"]![0]!["data"]));
        Assert.Equal(("task.refresh", "malvarez,jchen"),
            ((string?)card["refresh"]!["action"]!["verb"], string.Join(',', card["refresh"]!["userIds"]!.AsArray().Select(u => (string?)u))));
    }

    [Fact]
    public void The_decided_card_says_who_when_and_the_outcome_and_has_no_buttons()
    {
        var approved = ApprovalCards.Decided(DecidedCardModel.ForChange(CardSamples.Approved()));
        var denied = ApprovalCards.Decided(DecidedCardModel.ForChange(CardSamples.Denied()));

        Assert.Null(approved["actions"]);
        Assert.Null(approved["refresh"]);
        Assert.Null(denied["actions"]);
        var approvedText = CardText.Of(approved);
        Assert.Contains("Approved", approvedText);
        Assert.Contains("Decided by: nina.ramirez (nina.ramirez)", approvedText);
        Assert.Contains("At: 2026-04-15 03:14:02 UTC", approvedText);
        Assert.Contains("How: tap", approvedText);
        var deniedText = CardText.Of(denied);
        Assert.Contains("Denied", deniedText);
        Assert.Contains("Reason: Conflicts with the freeze", deniedText);
        Assert.Contains("Closed as won't-fix with the reason on the record. Nothing was changed.", deniedText);
    }

    [Fact]
    public void A_signed_seat_of_a_task_shows_the_signer_and_the_progress()
    {
        var card = ApprovalCards.Decided(DecidedCardModel.ForSeat("TASK-0412", "TASK-0412 · Enforce KMS auto-rotation", CardSamples.TaskGate(), "domain-cost-owner", CardSamples.TaskNow));

        var text = CardText.Of(card);
        Assert.Null(card["actions"]);
        Assert.Contains("Seat domain-cost-owner signed", text);
        Assert.Contains("Decided by: D. Park (dpark)", text);
        Assert.Contains("Progress: 1 / 2 signed", text);
    }

    [Fact]
    public void The_expired_card_says_when_and_what_followed_and_has_no_buttons()
    {
        var state = CardSamples.AwaitingApproval();
        var seat = CardSamples.TaskGate().Seats.First(s => s.Id == "kms-policy-controls");

        var change = ApprovalCards.Expired(ExpiredCardModel.ForChange(state));
        var task = ApprovalCards.Expired(ExpiredCardModel.ForTaskSeat(CardSamples.Task, seat));

        Assert.Null(change["actions"]);
        Assert.Contains("Expired at 2026-04-15 04:12 UTC", CardText.Of(change));
        Assert.Contains("Nobody decided in time: the change closed and nothing was changed.", CardText.Of(change));
        Assert.Contains("Seat kms-policy-controls re-routes to Security on-call (rule kms-policy-controls).", CardText.Of(task));
    }

    [Fact]
    public void The_card_for_someone_who_may_not_decide_says_why_and_who_may()
    {
        var state = CardSamples.AwaitingApproval();

        var card = ApprovalCards.NotYours(NotYoursCardModel.ForChange(state, "Owen Price", "seat domain-cost-owner is routed to Nina Ramirez; Owen Price is not its approver"));

        var text = CardText.Of(card);
        Assert.Null(card["actions"]);
        Assert.Contains("Owen Price, you may not decide this request", text);
        Assert.Contains("seat domain-cost-owner is routed to Nina Ramirez; Owen Price is not its approver", text);
        Assert.Contains("Routed to: Nina Ramirez (domain-cost-owner)", text);
        Assert.Contains("Nothing was recorded.", text);
    }

    [Fact]
    public void The_same_model_gives_the_same_card()
    {
        var model = ChangeApprovalCardModel.From(CardSamples.AwaitingApproval(), CardSamples.Opened);

        Assert.Equal(ApprovalCards.ForChange(model).ToJsonString(), ApprovalCards.ForChange(model).ToJsonString());
    }
}

public class CloseOutCardsTests
{
    [Fact]
    public void The_close_out_card_reads_like_the_walkthrough()
    {
        var card = CloseOutCards.For(CardSamples.CloseOut(Samples.Detected.AddDays(30)));

        var text = CardText.Of(card);
        Assert.Null(card["actions"]);
        Assert.Equal("CHG-2026-0415-001 closed", CardText.Of(card)[0]);
        Assert.Contains("CIS Azure 3.7 Public container access on a production account remediated on customer-exports", text);
        Assert.Contains("Approver: nina.ramirez (tap, 03:14:02 UTC)", text);
        Assert.Contains("Duration: 01m 15s (detect → close)", text);
        Assert.Contains("Rollback: available until 2026-05-15", text);
    }

    [Fact]
    public void The_close_out_card_has_the_same_shape_on_every_run()
    {
        var reversible = CloseOutCards.For(CardSamples.CloseOut(Samples.Detected.AddDays(30)));
        var irreversible = CloseOutCards.For(CardSamples.CloseOut(null) with { ChangeId = Core.Remediation.Tickets.ChangeId.Parse("CHG-2026-0416-042") });

        Assert.Equal(CardText.Shape(reversible), CardText.Shape(irreversible));
        Assert.Contains("Rollback: not available (irreversible)", CardText.Of(irreversible));
    }
}

/// <summary>Reads a card's words back: every TextBlock's text and every fact as "title: value", in document order.</summary>
internal static class CardText
{
    public static List<string> Of(JsonNode card) => [.. Walk(card)];


    /// <summary>The card with every text and fact value blanked: what must not change between runs.</summary>
    public static string Shape(JsonNode card)
    {
        var copy = card.DeepClone();
        Blank(copy);
        return copy.ToJsonString();
    }

    private static IEnumerable<string> Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when (string?)obj["type"] == "TextBlock":
                yield return (string)obj["text"]!;
                break;
            case JsonObject obj when (string?)obj["type"] == "FactSet":
                foreach (var fact in obj["facts"]!.AsArray())
                {
                    yield return $"{(string?)fact!["title"]}: {(string?)fact["value"]}";
                }
                break;
            case JsonObject obj:
                foreach (var (_, child) in obj)
                {
                    foreach (var text in Walk(child))
                    {
                        yield return text;
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    foreach (var text in Walk(child))
                    {
                        yield return text;
                    }
                }
                break;
        }
    }

    private static void Blank(JsonNode? node)
    {
        if (node is JsonObject obj)
        {
            if ((string?)obj["type"] == "TextBlock")
            {
                obj["text"] = "";
            }
            if (obj.ContainsKey("value") && obj.ContainsKey("title"))
            {
                obj["value"] = "";
            }
            foreach (var (_, child) in obj.ToList())
            {
                Blank(child);
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array)
            {
                Blank(child);
            }
        }
    }
}
