using Azure;
using Azure.Data.Tables;

namespace Panaptico.Storage.Remediation;

/// <summary>
/// Hands out each UTC day's change sequence numbers (the NNN of <c>CHG-YYYY-MMDD-NNN</c>): one counter row per day,
/// advanced If-Match its ETag, so two instances never get the same number. A scan reserves a block in one write.
/// </summary>
public sealed class ChangeIdCounter(TableClient table)
{
    public const string Partition = "counter";

    /// <summary>Reserves <paramref name="count"/> consecutive sequence numbers of <paramref name="day"/>; returns the first.</summary>
    public async Task<int> ReserveAsync(DateOnly day, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var key = day.ToString("yyyy-MMdd", System.Globalization.CultureInfo.InvariantCulture);
        while (true)
        {
            var current = await table.GetEntityIfExistsAsync<TableEntity>(Partition, key, cancellationToken: cancellationToken);
            try
            {
                if (!current.HasValue)
                {
                    await table.AddEntityAsync(new TableEntity(Partition, key) { ["Last"] = count }, cancellationToken);
                    return 1;
                }
                var last = current.Value!.GetInt32("Last") ?? 0;
                await table.UpdateEntityAsync(new TableEntity(Partition, key) { ["Last"] = last + count }, current.Value.ETag,
                    TableUpdateMode.Replace, cancellationToken);
                return last + 1;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another instance advanced the day first: read its value and go again.
            }
        }
    }
}
