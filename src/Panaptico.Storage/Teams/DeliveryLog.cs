using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Panaptico.Storage.Teams;

/// <summary>One delivery (instance, step, recipient) as recorded: posted with its conversation and activity ids, or not yet.</summary>
public sealed record Delivery(string Instance, string Step, string Recipient, string? ServiceUrl, string? ConversationId, string? ActivityId, DateTimeOffset? PostedAt);

/// <summary>What a claim found: this run may post (<see cref="Claimed"/>), it was posted before (<see cref="Posted"/>), or another run is posting now.</summary>
public sealed record DeliveryClaim(string Instance, string Step, string Recipient, ETag ETag, Delivery? Posted, bool Busy)
{
    public bool Claimed => Posted is null && !Busy;
}

/// <summary>
/// The record of what was posted to Teams, one row per (instance, step, recipient), so a delivery activity that runs
/// again posts nothing twice. A run claims a row before posting (a create-once insert, or an ETag-guarded take-over of a
/// row whose post failed or whose claim lapsed), records the activity id after, and releases the claim when the post
/// failed. Another run that finds a live claim is told it is busy (and retries later); one that finds the row posted
/// skips it. The one window left: a process that dies after Teams accepted the post and before the record is written
/// posts again once its claim lapses (at least once there, never twice otherwise).
/// </summary>
public sealed class DeliveryLog(TableClient table, TimeProvider time)
{
    private const string Posting = "posting";
    private const string PostedState = "posted";
    private const string Failed = "failed";

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => table.CreateIfNotExistsAsync(cancellationToken);

    public async Task<DeliveryClaim> ClaimAsync(string instance, string step, string recipient, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entity = new TableEntity(instance, RowKey(step, recipient))
        {
            ["Step"] = step,
            ["Recipient"] = recipient,
            ["State"] = Posting,
            ["ClaimedAt"] = now,
        };
        try
        {
            var added = await table.AddEntityAsync(entity, cancellationToken);
            return new DeliveryClaim(instance, step, recipient, added.Headers.ETag ?? ETag.All, null, false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Claimed before: posted, failed, or a claim that is live or lapsed.
        }
        var row = (await table.GetEntityAsync<TableEntity>(instance, entity.RowKey, cancellationToken: cancellationToken)).Value;
        var state = row.GetString("State");
        if (state == PostedState)
        {
            return new DeliveryClaim(instance, step, recipient, row.ETag, ToDelivery(row), false);
        }
        if (state == Posting && row.GetDateTimeOffset("ClaimedAt") is { } claimed && claimed + lease > now)
        {
            return new DeliveryClaim(instance, step, recipient, row.ETag, null, true);
        }
        try
        {
            var taken = await table.UpdateEntityAsync(entity, row.ETag, TableUpdateMode.Replace, cancellationToken);
            return new DeliveryClaim(instance, step, recipient, taken.Headers.ETag ?? ETag.All, null, false);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return new DeliveryClaim(instance, step, recipient, row.ETag, null, true);
        }
    }

    /// <summary>Records the post of a claimed delivery: its conversation and activity ids (what an update later replaces).</summary>
    public async Task RecordPostedAsync(DeliveryClaim claim, string serviceUrl, string conversationId, string activityId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await table.UpdateEntityAsync(new TableEntity(claim.Instance, RowKey(claim.Step, claim.Recipient))
        {
            ["Step"] = claim.Step,
            ["Recipient"] = claim.Recipient,
            ["State"] = PostedState,
            ["ServiceUrl"] = serviceUrl,
            ["ConversationId"] = conversationId,
            ["ActivityId"] = activityId,
            ["PostedAt"] = time.GetUtcNow(),
        }, claim.ETag, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>The post failed: the next run may claim it at once.</summary>
    public async Task ReleaseAsync(DeliveryClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        try
        {
            await table.UpdateEntityAsync(new TableEntity(claim.Instance, RowKey(claim.Step, claim.Recipient))
            {
                ["Step"] = claim.Step,
                ["Recipient"] = claim.Recipient,
                ["State"] = Failed,
            }, claim.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // Taken over meanwhile: the other run owns it now.
        }
    }

    /// <summary>Every posted delivery of an instance's step.</summary>
    public async Task<IReadOnlyList<Delivery>> PostedAsync(string instance, string step, CancellationToken cancellationToken)
    {
        var posted = new List<Delivery>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instance, cancellationToken: cancellationToken))
        {
            if (row.GetString("Step") == step && row.GetString("State") == PostedState)
            {
                posted.Add(ToDelivery(row));
            }
        }
        return posted;
    }

    private static Delivery ToDelivery(TableEntity row) => new(
        row.PartitionKey, row.GetString("Step"), row.GetString("Recipient"), row.GetString("ServiceUrl"),
        row.GetString("ConversationId"), row.GetString("ActivityId"), row.GetDateTimeOffset("PostedAt"));

    // Recipients and steps may hold characters row keys refuse: the key is their hash.
    private static string RowKey(string step, string recipient) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{step}\n{recipient}")));
}
