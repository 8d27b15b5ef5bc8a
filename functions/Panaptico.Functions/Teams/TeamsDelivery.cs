using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Panaptico.Core.Ledger;
using Panaptico.Core.Remediation.Chain;
using Panaptico.Functions.Remediation;
using Panaptico.Storage.Teams;

namespace Panaptico.Functions.Teams;

/// <summary>A delivery activity's input: the change as the orchestration decided it (remediation JSON).</summary>
public sealed record TeamsDeliveryInput(string ChangeId, string State);

/// <summary>What could not be delivered after every attempt, for the ledger.</summary>
public sealed record TeamsUndelivered(string ChangeId, string Step, string Reason);

/// <summary>
/// Delivery to Teams as activities of the remediation chain: the approval card to each routed approver's personal chat
/// (and the activity feed), the decided card in place of it, the close-out to the audit channel. Each is retried by the
/// orchestration with back-off; when every attempt failed the chain records <c>teams.undelivered</c> and goes on, and the
/// HTTP API still decides. Each post is claimed and recorded in the <see cref="DeliveryLog"/> by (change, step,
/// recipient), so a re-run activity posts nothing twice; updates replace a card (absolute state).
/// Without a bot (<see cref="TeamsOptions.BotAppId"/> unset) they do nothing.
/// </summary>
public sealed class TeamsDelivery(
    TeamsOptions options,
    BotConnector connector,
    ActivityFeed feed,
    TeamsDirectory directory,
    DeliveryLog log,
    ILedgerAppender ledger,
    TimeProvider time,
    ILogger<TeamsDelivery> logger)
{
    public const string SendApprovalRequestName = "TeamsSendApprovalRequest";
    public const string UpdateApprovalCardsName = "TeamsUpdateApprovalCards";
    public const string PostCloseOutName = "TeamsPostCloseOut";
    public const string RecordUndeliveredName = "TeamsRecordUndelivered";

    public const string RequestStep = "approval-request";
    public const string FeedStep = "approval-feed";
    public const string DecidedStep = "approval-decided";
    public const string CloseOutStep = "close-out";
    public const string UndeliveredKind = "teams.undelivered";

    /// <summary>A claim older than this is taken over: its run died between claiming and recording.</summary>
    private static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    /// <summary>Posts the approval card to every routed approver's personal chat and the activity feed, each once.</summary>
    /// <returns>How many people the request reached (posted now or before).</returns>
    [Function(SendApprovalRequestName)]
    public async Task<int> SendApprovalRequest([ActivityTrigger] TeamsDeliveryInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!options.BotEnabled)
        {
            return 0;
        }
        var state = Wire.Parse<ChangeState>(input.State);
        var recipients = await RecipientsAsync(state);
        var card = BotCards.Approval(state, time.GetUtcNow(), recipients);
        var failures = new List<string>();
        foreach (var recipient in recipients)
        {
            try
            {
                await PostOnceAsync(input.ChangeId, RequestStep, recipient, card, conversation: null);
                await FeedOnceAsync(input.ChangeId, recipient);
            }
            catch (Exception e) when (e is BotConnectorException or Microsoft.Kiota.Abstractions.ApiException)
            {
                failures.Add($"{recipient}: {e.Message}");
            }
        }
        if (failures.Count > 0)
        {
            // Thrown so the orchestration retries; what was posted is recorded and is not posted again.
            throw new BotConnectorException($"not delivered to {failures.Count} of {recipients.Count}: {string.Join("; ", failures)}");
        }
        return recipients.Count;
    }

    /// <summary>Replaces every posted approval card with the decided (or expired) one.</summary>
    [Function(UpdateApprovalCardsName)]
    public async Task<int> UpdateApprovalCards([ActivityTrigger] TeamsDeliveryInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!options.BotEnabled)
        {
            return 0;
        }
        var state = Wire.Parse<ChangeState>(input.State);
        var card = state.Stage == ChangeStage.Expired ? BotCards.Expired(state) : BotCards.Decided(state);
        var posted = await log.PostedAsync(input.ChangeId, RequestStep, CancellationToken.None);
        foreach (var delivery in posted)
        {
            await connector.UpdateCardAsync(new Uri(delivery.ServiceUrl!), delivery.ConversationId!, delivery.ActivityId!, card, CancellationToken.None);
        }
        return posted.Count;
    }

    /// <summary>Posts the close-out to the audit channel, once.</summary>
    [Function(PostCloseOutName)]
    public async Task<int> PostCloseOut([ActivityTrigger] TeamsDeliveryInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!options.BotEnabled || options.AuditConversationId is not { Length: > 0 } channel)
        {
            return 0;
        }
        var state = Wire.Parse<ChangeState>(input.State);
        await PostOnceAsync(input.ChangeId, CloseOutStep, "audit-channel", BotCards.CloseOut(state), channel);
        return 1;
    }

    /// <summary>Records in the ledger what could not be delivered after every attempt; once per change and step.</summary>
    [Function(RecordUndeliveredName)]
    public async Task<bool> RecordUndelivered([ActivityTrigger] TeamsUndelivered undelivered)
    {
        ArgumentNullException.ThrowIfNull(undelivered);
        logger.LogWarning("{Change}: {Step} was not delivered to Teams: {Reason}", undelivered.ChangeId, undelivered.Step, undelivered.Reason);
        await ledger.AppendAsync(new LedgerEntry(ChangeChain.LedgerStream, UndeliveredKind, undelivered.ChangeId, "system:teams", new JsonObject
        {
            ["step"] = undelivered.Step,
            ["reason"] = undelivered.Reason,
        })
        { EntryId = $"{undelivered.ChangeId}/teams/{undelivered.Step}/undelivered" }, CancellationToken.None);
        return true;
    }

    /// <summary>
    /// The Entra object ids of the people the request goes to: the members of every open seat of the routed gate (ids as
    /// routed, or names the directory resolves), or the ticket's owner when the change has no gate.
    /// </summary>
    private async Task<IReadOnlyList<string>> RecipientsAsync(ChangeState state)
    {
        var named = state.ApprovalGate is { } gate
            ? gate.Seats.Where(s => s.State == Core.Governance.Approvals.SeatState.Open).SelectMany(s => s.Approver.Members)
            : [state.Ticket.Owner];
        var ids = new List<string>();
        foreach (var name in named.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (Guid.TryParse(name, out _))
            {
                ids.Add(name);
            }
            else if (await directory.UserAsync(name, CancellationToken.None) is { } user)
            {
                ids.Add(user.Id);
            }
            else
            {
                logger.LogWarning("{Change}: the directory has no user '{Name}'; no card for them", state.Id, name);
            }
        }
        return [.. ids.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private async Task PostOnceAsync(string changeId, string step, string recipient, JsonObject card, string? conversation)
    {
        var claim = await log.ClaimAsync(changeId, step, recipient, ClaimLease, CancellationToken.None);
        if (claim.Posted is not null)
        {
            return;
        }
        if (claim.Busy)
        {
            throw new BotConnectorException($"another run is posting {step} to {recipient}");
        }
        try
        {
            var conversationId = conversation ?? await connector.CreatePersonalConversationAsync(options.ServiceUrl, recipient, CancellationToken.None);
            var activityId = await connector.SendCardAsync(options.ServiceUrl, conversationId, card, CancellationToken.None);
            await log.RecordPostedAsync(claim, options.ServiceUrl.ToString(), conversationId, activityId, CancellationToken.None);
        }
        catch (BotConnectorException)
        {
            await log.ReleaseAsync(claim, CancellationToken.None);
            throw;
        }
    }

    private async Task FeedOnceAsync(string changeId, string recipient)
    {
        var claim = await log.ClaimAsync(changeId, FeedStep, recipient, ClaimLease, CancellationToken.None);
        if (!claim.Claimed)
        {
            return;
        }
        try
        {
            await feed.NotifyApprovalRequiredAsync(recipient, changeId, CancellationToken.None);
            await log.RecordPostedAsync(claim, feed.BaseUrl, recipient, "activity-feed", CancellationToken.None);
        }
        catch (Microsoft.Kiota.Abstractions.ApiException)
        {
            await log.ReleaseAsync(claim, CancellationToken.None);
            throw;
        }
    }
}
