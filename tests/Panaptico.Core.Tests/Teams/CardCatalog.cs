using System.Text.Json.Nodes;
using Panaptico.Core.Teams;
using Panaptico.Core.Tests.Remediation;

namespace Panaptico.Core.Tests.Teams;

/// <summary>Every kind of card we produce, on the walkthrough's change and TASK-0412, by a file name.</summary>
internal static class CardCatalog
{
    public static IReadOnlyList<(string Name, JsonObject Card)> All()
    {
        var awaiting = CardSamples.AwaitingApproval();
        var taskGate = CardSamples.TaskGate();
        var change = ChangeApprovalCardModel.From(awaiting, CardSamples.Opened);
        return
        [
            ("change-approval", ApprovalCards.ForChange(change)),
            ("change-approval-irreversible", ApprovalCards.ForChange(change with { IrreversibleReason = "the deleted policy cannot be recreated" })),
            ("task-seat", ApprovalCards.ForTaskSeat(TaskSeatCardModel.From(CardSamples.Task, taskGate, "kms-policy-controls", CardSamples.TaskNow))),
            ("decided-approved", ApprovalCards.Decided(DecidedCardModel.ForChange(CardSamples.Approved()))),
            ("decided-denied", ApprovalCards.Decided(DecidedCardModel.ForChange(CardSamples.Denied()))),
            ("decided-task-seat", ApprovalCards.Decided(DecidedCardModel.ForSeat("TASK-0412", $"TASK-0412 · {CardSamples.Task.Title}", taskGate, "domain-cost-owner", CardSamples.TaskNow))),
            ("expired-change", ApprovalCards.Expired(ExpiredCardModel.ForChange(awaiting))),
            ("expired-task-seat", ApprovalCards.Expired(ExpiredCardModel.ForTaskSeat(CardSamples.Task, taskGate.Seats.First(s => s.Id == "kms-policy-controls")))),
            ("not-yours", ApprovalCards.NotYours(NotYoursCardModel.ForChange(awaiting, "Owen Price", "seat domain-cost-owner is routed to Nina Ramirez; Owen Price is not its approver"))),
            ("close-out", CloseOutCards.For(CardSamples.CloseOut(Samples.Detected.AddDays(30)))),
            ("close-out-irreversible", CloseOutCards.For(CardSamples.CloseOut(null))),
        ];
    }

    /// <summary>Writes each card as <c>&lt;name&gt;.json</c> under the test output's <c>artifacts/cards</c>, kept after the run.</summary>
    public static string Write(IEnumerable<(string Name, JsonObject Card)> cards)
    {
        var folder = ArtifactsFolder;
        foreach (var (name, card) in cards)
        {
            File.WriteAllText(Path.Combine(folder, name + ".json"), card.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        return folder;
    }

    public static string ArtifactsFolder => Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts", "cards")).FullName;
}
