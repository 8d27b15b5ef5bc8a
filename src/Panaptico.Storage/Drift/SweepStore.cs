using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Panaptico.Storage.Drift;

/// <summary>A sweep as recorded: its id, when it ran, its counters (the domain's JSON) and the graph and policy it used.</summary>
public sealed record StoredSweep(string SweepId, DateTimeOffset At, JsonObject Record);

/// <summary>A row of the drift feed: one cause and the drifts it explains (collapsed), with its class.</summary>
public sealed record StoredFeedRow(string CauseKey, string Class, DateTimeOffset At, JsonObject Row);

/// <summary>One event in a field's history: detected, attributed, classified, re-baselined, intent set.</summary>
public sealed record FieldEvent(string ObjectId, string Field, string EventId, DateTimeOffset At, JsonObject Event);

/// <summary>
/// Sweep records (newest first), the feed's rows (one per cause, replaced as later sweeps add to it) and the history
/// of each object field. Every write is absolute state or insert-once by a key from the sweep and step.
/// </summary>
public sealed class SweepStore(DriftTables tables)
{
    private const string Sweeps = "sweeps";
    private const string Feed = "feed";

    public Task SaveSweepAsync(StoredSweep sweep, CancellationToken cancellationToken) =>
        tables.Sweeps.UpsertEntityAsync(new TableEntity(Sweeps, DriftTables.Descending(sweep.At) + "-" + DriftTables.Key(sweep.SweepId)[..12])
        {
            ["SweepId"] = sweep.SweepId,
            ["At"] = sweep.At,
            ["Json"] = sweep.Record.ToJsonString(),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<List<StoredSweep>> LatestSweepsAsync(int max, CancellationToken cancellationToken) =>
        [.. (await DriftTables.ReadAllAsync(tables.Sweeps, Sweeps, cancellationToken, max)).Select(r =>
            new StoredSweep(r.GetString("SweepId"), r.GetDateTimeOffset("At")!.Value, (JsonObject)JsonNode.Parse(r.GetString("Json"))!))];

    public async Task<long> CountSweepsAsync(CancellationToken cancellationToken) =>
        (await DriftTables.ReadAllAsync(tables.Sweeps, Sweeps, cancellationToken)).Count;

    public Task SaveFeedRowAsync(StoredFeedRow row, CancellationToken cancellationToken) =>
        tables.Feed.UpsertEntityAsync(new TableEntity(Feed, DriftTables.Key(row.CauseKey))
        {
            ["CauseKey"] = row.CauseKey,
            ["Class"] = row.Class,
            ["At"] = row.At,
            ["Json"] = row.Row.ToJsonString(),
        }, TableUpdateMode.Replace, cancellationToken);

    public async Task<StoredFeedRow?> GetFeedRowAsync(string causeKey, CancellationToken cancellationToken)
    {
        var r = await tables.Feed.GetEntityIfExistsAsync<TableEntity>(Feed, DriftTables.Key(causeKey), cancellationToken: cancellationToken);
        return r.HasValue ? ToRow(r.Value!) : null;
    }

    /// <summary>The feed, newest first.</summary>
    public async Task<List<StoredFeedRow>> FeedAsync(CancellationToken cancellationToken) =>
        [.. (await DriftTables.ReadAllAsync(tables.Feed, Feed, cancellationToken)).Select(ToRow).OrderByDescending(r => r.At)];

    /// <summary>Appends a field event once by its id (a retried activity writes the same row).</summary>
    public Task AddFieldEventAsync(FieldEvent e, CancellationToken cancellationToken) =>
        DriftTables.AddOnceAsync(tables.History, new TableEntity(DriftTables.FieldKey(e.ObjectId, e.Field), DriftTables.Descending(e.At) + "-" + DriftTables.Key(e.EventId)[..16])
        {
            ["EventId"] = e.EventId,
            ["At"] = e.At,
            ["Json"] = e.Event.ToJsonString(),
        }, cancellationToken);

    /// <summary>A field's history, newest first.</summary>
    public async Task<List<FieldEvent>> FieldHistoryAsync(string objectId, string field, CancellationToken cancellationToken) =>
        [.. (await DriftTables.ReadAllAsync(tables.History, DriftTables.FieldKey(objectId, field), cancellationToken)).Select(r =>
            new FieldEvent(objectId, field, r.GetString("EventId"), r.GetDateTimeOffset("At")!.Value, (JsonObject)JsonNode.Parse(r.GetString("Json"))!))];

    private static StoredFeedRow ToRow(TableEntity r) =>
        new(r.GetString("CauseKey"), r.GetString("Class"), r.GetDateTimeOffset("At")!.Value, (JsonObject)JsonNode.Parse(r.GetString("Json"))!);
}
