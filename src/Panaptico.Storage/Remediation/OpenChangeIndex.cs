using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Panaptico.Core.Remediation;
using Panaptico.Core.Remediation.Tickets;

namespace Panaptico.Storage.Remediation;

/// <summary>The change that holds an asset + pattern, as the index row names it.</summary>
public sealed record OpenChangeHolder(string Key, ChangeId ChangeId, ETag ETag);

/// <summary>
/// At most one change per asset + pattern (<see cref="Finding.OpenKey"/>): one row per key, keyed by its SHA-256
/// (open keys hold characters table keys may not). Taken with a conditional insert, handed on to a newer change with
/// a conditional replace, so two detectors racing on one violation open one ticket.
/// </summary>
public sealed class OpenChangeIndex(TableClient table)
{
    public const string Partition = "open";

    public static string KeyOf(Finding finding) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(finding.OpenKey)));

    public async Task<OpenChangeHolder?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityIfExistsAsync<TableEntity>(Partition, key, cancellationToken: cancellationToken);
        return row.HasValue ? new OpenChangeHolder(key, ChangeId.Parse(row.Value!.GetString("ChangeId")), row.Value.ETag) : null;
    }

    /// <summary>Takes the key for <paramref name="change"/>; false when someone else holds it (the holder changed since read).</summary>
    public async Task<bool> TryTakeAsync(string key, string openKey, ChangeId change, OpenChangeHolder? previous, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(Partition, key) { ["ChangeId"] = change.ToString(), ["OpenKey"] = openKey };
        try
        {
            if (previous is null)
            {
                await table.AddEntityAsync(entity, cancellationToken);
            }
            else
            {
                await table.UpdateEntityAsync(entity, previous.ETag, TableUpdateMode.Replace, cancellationToken);
            }
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412 or 404)
        {
            return false;
        }
    }
}
