namespace Panaptico.Core.Teams;

/// <summary>
/// The verbs our cards' <c>Action.Execute</c> buttons and refreshes carry, as the bot receives them in
/// <c>value.action.verb</c> of an <c>adaptiveCard/action</c> invoke.
/// </summary>
public static class CardVerbs
{
    /// <summary>Approve a change record: data <c>{changeId, contextPackSha256}</c> (and <c>acknowledgesIrreversible</c>).</summary>
    public const string ApprovalApprove = "approval.approve";

    /// <summary>Deny a change record: data <c>{changeId, contextPackSha256, reason}</c>.</summary>
    public const string ApprovalDeny = "approval.deny";

    /// <summary>A change card's refresh: data <c>{changeId}</c>; the bot answers with the card as the change now stands.</summary>
    public const string ApprovalRefresh = "approval.refresh";

    /// <summary>Sign a governed task's seat: data <c>{taskId, seat, contextPackSha256, rationale}</c>.</summary>
    public const string TaskApprove = "task.approve";

    /// <summary>Deny from a governed task's seat: data <c>{taskId, seat, contextPackSha256, reason}</c>.</summary>
    public const string TaskDeny = "task.deny";

    /// <summary>A task seat card's refresh: data <c>{taskId, seat}</c>.</summary>
    public const string TaskRefresh = "task.refresh";
}

/// <summary>The names of the fields in our actions' <c>data</c> (inputs are merged into it by id).</summary>
public static class CardData
{
    public const string ChangeId = "changeId";
    public const string TaskId = "taskId";
    public const string Seat = "seat";
    public const string ContextPackSha256 = "contextPackSha256";

    /// <summary>Set (true) on the approve action of a change whose fix cannot be undone; the card says so above the buttons.</summary>
    public const string AcknowledgesIrreversible = "acknowledgesIrreversible";

    /// <summary>The deny input: required, at most <see cref="MaxTextLength"/> characters.</summary>
    public const string Reason = "reason";

    /// <summary>A task seat's approve input (a task's signature carries a rationale): required, at most <see cref="MaxTextLength"/>.</summary>
    public const string Rationale = "rationale";

    public const int MaxTextLength = 500;
}

/// <summary>How a card travels: the attachment and invoke-response content type Teams accepts.</summary>
public static class AdaptiveCardContent
{
    /// <summary>Teams rejects <c>application/vnd.microsoft.adaptive.card</c>, which some docs still show.</summary>
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>
    /// How many user ids a <c>refresh</c> names: Teams runs automatic refreshes for at most 60 (the Adaptive Cards docs
    /// say 5 for other hosts); beyond that the first 60 routed approvers, in routing order, get the live card.
    /// </summary>
    public const int MaxRefreshUserIds = 60;
}
