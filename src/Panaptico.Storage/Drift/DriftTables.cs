using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Panaptico.Storage.Account;

namespace Panaptico.Storage.Drift;

/// <summary>
/// The drift feature's tables. Rows hold the domain's own JSON (<c>Json</c>) so the stores stay free of its types;
/// keys that may hold characters tables refuse (object ids, field paths, source event ids) are hashed.
/// </summary>
public sealed class DriftTables(TableServiceClient tables, StorageNames names)
{
    public TableClient Graph { get; } = tables.GetTableClient(names.Table("driftgraph"));
    public TableClient Sources { get; } = tables.GetTableClient(names.Table("driftsources"));
    public TableClient Sweeps { get; } = tables.GetTableClient(names.Table("driftsweeps"));
    public TableClient Feed { get; } = tables.GetTableClient(names.Table("driftfeed"));
    public TableClient History { get; } = tables.GetTableClient(names.Table("drifthistory"));

    public IEnumerable<TableClient> All => [Graph, Sources, Sweeps, Feed, History];

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(All.Select(t => t.CreateIfNotExistsAsync(cancellationToken)));

    /// <summary>A table key for any text: its SHA-256 in hex (table keys refuse '/', '\', '#', '?').</summary>
    public static string Key(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    public static string FieldKey(string objectId, string field) => Key(objectId + "\n" + field);

    /// <summary>Newest first in a partition: row keys that sort by descending time.</summary>
    public static string Descending(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Inserts once; false when the row was there already (a retried activity, a redelivered event).</summary>
    public static async Task<bool> AddOnceAsync(TableClient table, TableEntity entity, CancellationToken cancellationToken)
    {
        try
        {
            await table.AddEntityAsync(entity, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    /// <summary>Every row of a partition (or of the table), in key order.</summary>
    public static async Task<List<TableEntity>> ReadAllAsync(TableClient table, string? partition, CancellationToken cancellationToken, int? max = null)
    {
        var rows = new List<TableEntity>();
        var query = partition is null
            ? table.QueryAsync<TableEntity>(cancellationToken: cancellationToken)
            : table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, cancellationToken: cancellationToken);
        await foreach (var row in query)
        {
            rows.Add(row);
            if (rows.Count == max)
            {
                break;
            }
        }
        return rows;
    }
}
