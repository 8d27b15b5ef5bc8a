using Azure;
using Azure.Data.Tables;

namespace Panaptico.Functions.ApprovalLinks;

/// <summary>
/// Each link's one use, in Table storage (partition = link id): created once with a conditional insert, so of two
/// instances posting the same link at once exactly one wins; never updated or deleted.
/// </summary>
public sealed class ApprovalLinkUses(TableClient table)
{
    private const string Row = "use";

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => table.CreateIfNotExistsAsync(cancellationToken);

    /// <summary>When and how the link was used, or null while unused.</summary>
    public async Task<LinkUse?> FindAsync(string linkId, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(linkId, Row, cancellationToken: cancellationToken);
        return row.HasValue && row.Value is { } entity
            ? new LinkUse(entity.GetString("ChangeId") ?? "", entity.GetString("Decision") ?? "", entity.GetDateTimeOffset("UsedAt") ?? entity.Timestamp ?? default)
            : null;
    }

    /// <summary>Takes the link's one use; false when it was taken before (by any instance).</summary>
    public async Task<bool> TryClaimAsync(string linkId, string changeId, string approverId, string decision, DateTimeOffset at, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddEntityAsync(new TableEntity(linkId, Row)
            {
                ["ChangeId"] = changeId,
                ["ApproverId"] = approverId,
                ["Decision"] = decision,
                ["UsedAt"] = at,
            }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }
}

public sealed record LinkUse(string ChangeId, string Decision, DateTimeOffset UsedAt);
