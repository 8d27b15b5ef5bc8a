using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Panaptico.Storage.Drift;

/// <summary>A change-source record as ingested: its kind and id, when the change happened, and its body in its real shape.</summary>
public sealed record StoredSourceEvent(string Kind, string EventId, DateTimeOffset OccurredAt, DateTimeOffset ReceivedAt, JsonNode Body);

/// <summary>
/// Change-source records (Terraform runs, change records, Activity Log, directory audits, CloudTrail…), idempotent
/// by kind + event id: a redelivered or re-posted record is stored once. Attribution reads them by the time of the change.
/// </summary>
public sealed class SourceEventStore(DriftTables tables)
{
    /// <summary>Stores the record unless its kind + id is there; false when it was.</summary>
    public Task<bool> AddAsync(StoredSourceEvent e, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        return DriftTables.AddOnceAsync(tables.Sources, new TableEntity(e.Kind, DriftTables.Key(e.EventId))
        {
            ["EventId"] = e.EventId,
            ["OccurredAt"] = e.OccurredAt,
            ["ReceivedAt"] = e.ReceivedAt,
            ["Body"] = e.Body.ToJsonString(),
        }, cancellationToken);
    }

    /// <summary>Every record whose change happened inside [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public async Task<List<StoredSourceEvent>> BetweenAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var found = new List<StoredSourceEvent>();
        var filter = TableClient.CreateQueryFilter($"OccurredAt ge {from} and OccurredAt le {to}");
        await foreach (var r in tables.Sources.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            found.Add(new StoredSourceEvent(r.PartitionKey, r.GetString("EventId"), r.GetDateTimeOffset("OccurredAt")!.Value,
                r.GetDateTimeOffset("ReceivedAt")!.Value, JsonNode.Parse(r.GetString("Body"))!));
        }
        return found;
    }
}
