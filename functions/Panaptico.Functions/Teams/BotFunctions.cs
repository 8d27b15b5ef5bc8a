using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Panaptico.Core.Governance.Approvals;
using Panaptico.Core.Governance.Tasks;
using Panaptico.Core.Identity;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Core.Remediation.Tickets;
using Panaptico.Core.Teams;
using Panaptico.Functions.Governance;
using Panaptico.Functions.Http;
using Panaptico.Functions.Remediation;
using Panaptico.Storage.Remediation;

namespace Panaptico.Functions.Teams;

/// <summary>
/// The bot's endpoint: every activity Teams sends, authenticated by the Bot Framework's JWT (<see cref="BotTokenValidator"/>;
/// 401/403 and nothing decided otherwise). An <c>adaptiveCard/action</c> invoke from a card's button decides a change
/// through <see cref="ChangeDecisions"/>, the same path and rules as the HTTP API (routed seat, segregation of duties,
/// context pack hash, reason to deny, not decided, not expired), and raises the same external event. The tapper is
/// <c>from.aadObjectId</c> through the directory. The answer is always HTTP 200 with the card to show in place of the
/// tapped one (<c>application/vnd.microsoft.card.adaptive</c>): the decided card, or a card that says why nothing changed.
/// </summary>
public sealed class BotFunctions(
    BotTokenValidator tokens,
    TeamsDirectory directory,
    ChangeDecisions decisions,
    ChangeTable changes,
    GovernedExecution execution,
    TimeProvider time)
{
    public const string ApproveVerb = CardVerbs.ApprovalApprove;
    public const string DenyVerb = CardVerbs.ApprovalDeny;
    public const string RefreshVerb = CardVerbs.ApprovalRefresh;
    public const string TaskApproveVerb = CardVerbs.TaskApprove;
    public const string TaskDenyVerb = CardVerbs.TaskDeny;
    public const string TaskRefreshVerb = CardVerbs.TaskRefresh;
    private const int MaxActivityBytes = 256 * 1024;
    private const string TappedApproval = "Approved in Microsoft Teams";

    [Function("BotMessages")]
    public async Task<IResult> MessagesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "messages")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var activity = await ReadActivityAsync(request, cancellationToken);
        var check = await tokens.CheckAsync(request.Headers.Authorization.FirstOrDefault(), Text(activity?["serviceUrl"]), Text(activity?["channelId"]), cancellationToken);
        if (!check.Accepted)
        {
            return check.Status == StatusCodes.Status401Unauthorized
                ? Problems.Problem(StatusCodes.Status401Unauthorized, "unauthenticated", "Unauthenticated", check.Reason)
                : Problems.Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", check.Reason);
        }
        if (activity is null)
        {
            return Problems.Invalid($"the activity must be a JSON object of at most {MaxActivityBytes} bytes");
        }
        if (Text(activity["type"]) != "invoke" || Text(activity["name"]) != "adaptiveCard/action")
        {
            // Messages, installs and other invokes: nothing to decide.
            return Results.Ok();
        }
        return await InvokeAsync(activity, client, cancellationToken);
    }

    private async Task<IResult> InvokeAsync(JsonObject activity, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var action = activity["value"]?["action"] as JsonObject;
        var verb = Text(action?["verb"]);
        var data = action?["data"] as JsonObject;
        if (verb is TaskApproveVerb or TaskDenyVerb or TaskRefreshVerb)
        {
            return await TaskInvokeAsync(activity, verb, data, client, cancellationToken);
        }
        if (verb is not (ApproveVerb or DenyVerb or RefreshVerb) || !ChangeId.TryParse(Text(data?[CardData.ChangeId]) ?? "", out var parsed))
        {
            return Error("BadRequest", $"unknown action '{verb}' or no change id");
        }
        var id = parsed.Value;
        if (await changes.ViewAsync(id, cancellationToken) is not { } view)
        {
            return Error("NotFound", $"there is no change {id}");
        }
        var aadObjectId = Text(activity["from"]?["aadObjectId"]);
        var tapper = aadObjectId is null ? null : await directory.PrincipalOfAsync(aadObjectId, cancellationToken);
        if (tapper is null)
        {
            return Card(BotCards.NotYours(view.State, aadObjectId ?? "someone", "the directory does not know you"));
        }
        if (verb == RefreshVerb)
        {
            return Card(Current(view.State, tapper));
        }

        var approve = verb == ApproveVerb;
        var reason = Text(data![CardData.Reason])?.Trim();
        if (!approve && string.IsNullOrEmpty(reason))
        {
            return Error("BadRequest", "A reason is required to deny.");
        }
        var signal = ApprovalSignal.From(tapper, time.GetUtcNow(), seatId: null, approve ? (reason is { Length: > 0 } ? reason : TappedApproval) : reason!,
            Text(data[CardData.ContextPackSha256]) ?? "", data[CardData.AcknowledgesIrreversible]?.GetValueKind() == JsonValueKind.True);
        var outcome = await decisions.DecideAsync(id, client, approve ? RemediationChain.ApprovalSignedEvent : RemediationChain.ApprovalDeniedEvent,
            signal, state => signal.ToEvent(state, approve), cancellationToken);
        if (outcome is ChangeDecision.Refused { Refusal.Code: RefusalCode.Invalid } invalid)
        {
            return Error("BadRequest", invalid.Refusal.Reason);
        }
        return Card(outcome switch
        {
            ChangeDecision.Raised raised => Current(raised.After.State, tapper),
            ChangeDecision.Refused { Refusal.Code: RefusalCode.StaleContext } refused => Current(refused.View.State, tapper),
            ChangeDecision.Refused { Refusal.Code: RefusalCode.Expired } refused => BotCards.Expired(refused.View.State),
            ChangeDecision.Refused refused => Decided(refused.View.State) ?? BotCards.NotYours(refused.View.State, tapper.Name, refused.Refusal.Reason),
            ChangeDecision.AlreadyDecided duplicate => Decided(duplicate.View.State) ?? Current(duplicate.View.State, tapper),
            ChangeDecision.NotListening listening => Decided(listening.View.State) ?? Current(listening.View.State, tapper),
            ChangeDecision.NotNow other => Decided(other.View.State) ?? Current(other.View.State, tapper),
            _ => Current(view.State, tapper),
        });
    }

    /// <summary>
    /// A governed task's seat: signed or denied through <see cref="GovernedExecution.UpdateAsync"/> with the same
    /// <see cref="TaskApprovals"/> decisions as <c>SignApproval</c> (routed seat, segregation of duties, pack hash,
    /// rationale, expiry), answered with the seat's card.
    /// </summary>
    private async Task<IResult> TaskInvokeAsync(JsonObject activity, string verb, JsonObject? data, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (Text(data?[CardData.TaskId]) is not { } taskId || Text(data?[CardData.Seat]) is not { } seatId)
        {
            return Error("BadRequest", "a task action names its task and seat");
        }
        var page = await execution.GetTaskAsync(taskId, cancellationToken);
        if (!page.IsAccepted || page.Value!.Stored.Record.Approvals?.Seats.FirstOrDefault(s => s.Id == seatId) is null)
        {
            return Error("NotFound", $"there is no seat {seatId} on {taskId}");
        }
        var aadObjectId = Text(activity["from"]?["aadObjectId"]);
        var tapper = aadObjectId is null ? null : await directory.PrincipalOfAsync(aadObjectId, cancellationToken);
        if (tapper is null)
        {
            return Card(BotCards.TaskNotYours(page.Value.Stored.Record, aadObjectId ?? "someone", "the directory does not know you"));
        }
        if (verb == TaskRefreshVerb)
        {
            return Card(CurrentSeat(page.Value.Stored.Record, seatId, tapper, time.GetUtcNow()));
        }
        var approve = verb == TaskApproveVerb;
        var rationale = Text(data![approve ? CardData.Rationale : CardData.Reason])?.Trim();
        if (string.IsNullOrEmpty(rationale))
        {
            return Error("BadRequest", approve ? "A rationale is required to approve." : "A reason is required to deny.");
        }
        var hash = Text(data[CardData.ContextPackSha256]) ?? "";
        var signed = await execution.UpdateAsync(taskId, (record, now) => approve
            ? TaskApprovals.Approve(record, tapper, seatId, rationale, hash, now)
            : TaskApprovals.Deny(record, tapper, seatId, rationale, hash, now), client, cancellationToken);
        if (signed.IsAccepted)
        {
            return Card(CurrentSeat(signed.Value!.Stored.Record, seatId, tapper, time.GetUtcNow()));
        }
        var current = (await execution.GetTaskAsync(taskId, cancellationToken)).Value?.Stored.Record ?? page.Value.Stored.Record;
        return signed.Refusal!.Code switch
        {
            Core.Governance.RefusalCode.Invalid => Error("BadRequest", signed.Refusal.Message),
            Core.Governance.RefusalCode.Forbidden or Core.Governance.RefusalCode.SegregationOfDuties => Card(BotCards.TaskNotYours(current, tapper.Name, signed.Refusal.Message)),
            _ => Card(CurrentSeat(current, seatId, tapper, time.GetUtcNow())),
        };
    }

    /// <summary>A task seat's card for a person now: the request if it is open and theirs, else who decided, the expiry, or why not theirs.</summary>
    private static JsonObject CurrentSeat(TaskRecord record, string seatId, Principal viewer, DateTimeOffset now)
    {
        var seat = record.Approvals!.Seats.First(s => s.Id == seatId);
        if (seat.State != SeatState.Open)
        {
            return BotCards.TaskSeatClosed(record, seat, now);
        }
        return seat.Approver.Admits(viewer.Id)
            ? BotCards.TaskSeat(record, seat, now)
            : BotCards.TaskNotYours(record, viewer.Name, $"seat {seat.Id} is routed to {seat.Approver.Name}");
    }

    /// <summary>The card a person sees for the change now: the request if it waits on them, else who decided, the expiry, or why not theirs.</summary>
    private JsonObject Current(ChangeState state, Principal viewer)
    {
        if (state.Stage == ChangeStage.Expired)
        {
            return BotCards.Expired(state);
        }
        if (Decided(state) is { } decided)
        {
            return decided;
        }
        if (state.Stage != ChangeStage.Approval)
        {
            return BotCards.Decided(state);
        }
        var routed = state.ApprovalGate?.Seats.SelectMany(s => s.Approver.Members).ToList() ?? [];
        if (state.ApprovalGate is not null && !routed.Contains(viewer.Id, StringComparer.OrdinalIgnoreCase))
        {
            return BotCards.NotYours(state, viewer.Name, $"{state.Id} is routed to {string.Join(", ", state.ApprovalGate.Seats.Select(s => s.Approver.Name))}");
        }
        return BotCards.Approval(state, time.GetUtcNow(), routed);
    }

    /// <summary>The decided card once the change's approval is decided (by a person, or by policy); null while it is not.</summary>
    private static JsonObject? Decided(ChangeState state) =>
        state.Approval is not null ? BotCards.Decided(state) : state.Stage == ChangeStage.Expired ? BotCards.Expired(state) : null;

    /// <summary>The invoke response: HTTP 200 with the replacement card (Teams rejects other content types for it).</summary>
    private static IResult Card(JsonObject card) => Results.Json(new JsonObject
    {
        ["statusCode"] = 200,
        ["type"] = BotCards.ContentType,
        ["value"] = card,
    });

    private static IResult Error(string code, string message) => Results.Json(new JsonObject
    {
        ["statusCode"] = code == "NotFound" ? 404 : 400,
        ["type"] = "application/vnd.microsoft.error",
        ["value"] = new JsonObject { ["code"] = code, ["message"] = message },
    });

    private static string? Text(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static async Task<JsonObject?> ReadActivityAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxActivityBytes)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxActivityBytes)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
