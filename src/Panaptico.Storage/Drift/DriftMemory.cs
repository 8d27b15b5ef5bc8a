using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Panaptico.Storage.Drift;

/// <summary>What was reported for one field: the value, the drift and its class, and the task that is open for it.</summary>
public sealed record ReportedDrift(string ObjectId, string Field, string ValueKey, string DriftId, string Class, string? OpenTaskId, DateTimeOffset ReportedAt);

/// <summary>A drift held until its settle window ends, then attributed again before it may count as unknown.</summary>
public sealed record PendingDrift(string Key, JsonObject Json, DateTimeOffset FirstSeen, DateTimeOffset SettleUntil);

/// <summary>
/// The drift memory across sweeps: a drift already reported is not reported again until its value changes again
/// (de-dup on object, field, new value), and drifts awaiting their settle window.
/// </summary>
public sealed class DriftMemory(DriftTables tables)
{
    private const string Reported = "reported";
    private const string Waiting = "pending";

    public static string FieldKey(string objectId, string field) => DriftTables.Key(objectId + "\n" + field);

    public async Task<Dictionary<string, ReportedDrift>> ReportedAsync(CancellationToken cancellationToken) =>
        (await DriftTables.ReadAllAsync(tables.Memory, Reported, cancellationToken)).Select(ToReported).ToDictionary(r => FieldKey(r.ObjectId, r.Field));

    /// <summary>Records what a sweep reported for a field (absolute state: a retry writes the same row).</summary>
    public Task RememberAsync(ReportedDrift drift, CancellationToken cancellationToken) =>
        tables.Memory.UpsertEntityAsync(new TableEntity(Reported, FieldKey(drift.ObjectId, drift.Field))
        {
            ["ObjectId"] = drift.ObjectId,
            ["Field"] = drift.Field,
            ["ValueKey"] = drift.ValueKey,
            ["DriftId"] = drift.DriftId,
            ["Class"] = drift.Class,
            ["OpenTaskId"] = drift.OpenTaskId,
            ["ReportedAt"] = drift.ReportedAt,
        }, TableUpdateMode.Replace, cancellationToken);

    /// <summary>The field is back to intent (or re-baselined): the next different value is news again.</summary>
    public Task ForgetAsync(string objectId, string field, CancellationToken cancellationToken) =>
        tables.Memory.DeleteEntityAsync(Reported, FieldKey(objectId, field), cancellationToken: cancellationToken);

    public async Task<List<PendingDrift>> PendingAsync(CancellationToken cancellationToken) =>
        [.. (await DriftTables.ReadAllAsync(tables.Pending, Waiting, cancellationToken)).Select(r => new PendingDrift(
            r.RowKey, (JsonObject)JsonNode.Parse(r.GetString("Json"))!, r.GetDateTimeOffset("FirstSeen")!.Value, r.GetDateTimeOffset("SettleUntil")!.Value))];

    /// <summary>Holds a drift until its window ends; a drift already held keeps its first sighting and window.</summary>
    public Task<bool> HoldAsync(string key, JsonObject drift, DateTimeOffset firstSeen, DateTimeOffset settleUntil, CancellationToken cancellationToken) =>
        DriftTables.AddOnceAsync(tables.Pending, new TableEntity(Waiting, key)
        {
            ["Json"] = drift.ToJsonString(),
            ["FirstSeen"] = firstSeen,
            ["SettleUntil"] = settleUntil,
        }, cancellationToken);

    public Task ReleaseAsync(string key, CancellationToken cancellationToken) =>
        tables.Pending.DeleteEntityAsync(Waiting, key, cancellationToken: cancellationToken);

    private static ReportedDrift ToReported(TableEntity r) => new(
        r.GetString("ObjectId"), r.GetString("Field"), r.GetString("ValueKey"), r.GetString("DriftId"), r.GetString("Class"),
        r.GetString("OpenTaskId"), r.GetDateTimeOffset("ReportedAt") ?? DateTimeOffset.MinValue);
}
