using System.Text.Json.Nodes;
using Panaptico.Core.Drift;
using Panaptico.Storage.Drift;

namespace Panaptico.Functions.Drift;

/// <summary>
/// What the Event Grid webhook hands the drift feature: our own drift and classification events (consumed into each
/// field's history, once per event id) and change-source records delivered through Event Grid
/// (<c>Panaptico.Drift.Source.{kind}</c>, the record in its real shape as data), stored as the HTTP API stores them.
/// </summary>
public sealed class DriftEventSink(SweepStore sweeps, DriftSourceIntake intake, TimeProvider time, ILogger<DriftEventSink> logger)
{
    /// <summary>True when the event was the drift feature's (consumed, or refused and logged).</summary>
    public async Task<bool> TryConsumeAsync(string id, string type, string subject, BinaryData? data, CancellationToken cancellationToken)
    {
        if (type.StartsWith(DriftEventPublisher.SourceTypePrefix, StringComparison.Ordinal))
        {
            var kind = type[DriftEventPublisher.SourceTypePrefix.Length..];
            var result = await intake.IngestAsync(kind, data?.ToString() ?? "", cancellationToken);
            if (result.Problem is not null)
            {
                // Event Grid would redeliver a refused batch forever: a malformed record is logged and dropped.
                logger.LogWarning("Source event {Id} ({Kind}) refused: {Problem}", id, kind, result.Problem);
            }
            return true;
        }
        if (type is not (DriftEventPublisher.DriftedType or DriftEventPublisher.ClassifiedType) || data is null)
        {
            return false;
        }
        var body = JsonNode.Parse(data.ToString())!.AsObject();
        var at = time.GetUtcNow();
        if (type == DriftEventPublisher.DriftedType)
        {
            await sweeps.AddFieldEventAsync(new FieldEvent(body["objectId"]!.GetValue<string>(), body["field"]!.GetValue<string>(), id, at, new JsonObject
            {
                ["event"] = body["class"] is null ? "drift.pending" : "drift.reported",
                ["sweepId"] = body["sweepId"]?.DeepClone(),
                ["class"] = body["class"]?.DeepClone(),
                ["drift"] = body["drift"]?.DeepClone(),
                ["attribution"] = body["attribution"]?.DeepClone(),
            }), cancellationToken);
        }
        else
        {
            foreach (var drift in body["drifts"]?.AsArray().OfType<JsonObject>() ?? [])
            {
                await sweeps.AddFieldEventAsync(new FieldEvent(drift["object"]!.GetValue<string>(), drift["field"]!.GetValue<string>(), $"{id}/classified", at, new JsonObject
                {
                    ["event"] = "drift.classified",
                    ["row"] = id,
                    ["class"] = body["class"]?.DeepClone(),
                    ["rule"] = body["rule"]?.DeepClone(),
                    ["attribution"] = body["attribution"]?.DeepClone(),
                    ["actions"] = body["actions"]?.DeepClone(),
                }), cancellationToken);
            }
        }
        logger.LogDebug("Drift event {Type} {Subject} consumed", type, subject);
        return true;
    }
}

/// <summary>The outcome of ingesting one source record: how many events it held, how many were new, or why it was refused.</summary>
public sealed record SourceIngest(int Events, int Stored, string? Problem, string Code = "invalid");

/// <summary>
/// Change-source records in, from the HTTP API and Event Grid alike: parsed by the domain (refused whole when
/// malformed, nothing stored), then stored raw, idempotent by source + event id.
/// </summary>
public sealed class DriftSourceIntake(SourceEventStore store, TimeProvider time)
{
    /// <summary>The route's kinds and the domain's source kinds.</summary>
    public static readonly IReadOnlyDictionary<string, SourceKind> Kinds = new Dictionary<string, SourceKind>(StringComparer.Ordinal)
    {
        ["terraform-run"] = SourceKind.TerraformRun,
        ["change-record"] = SourceKind.ChangeRecord,
        ["vendor-patch"] = SourceKind.VendorPatch,
        ["scim"] = SourceKind.ScimSync,
        ["resource-graph"] = SourceKind.ResourceGraph,
        ["activity-log"] = SourceKind.ActivityLog,
        ["directory-audit"] = SourceKind.EntraAudit,
        ["cloudtrail"] = SourceKind.CloudTrail,
    };

    public async Task<SourceIngest> IngestAsync(string routeKind, string json, CancellationToken cancellationToken)
    {
        if (!Kinds.TryGetValue(routeKind, out var kind))
        {
            return new SourceIngest(0, 0, $"'{routeKind}' is not a source kind; one of {string.Join(", ", Kinds.Keys)}", "not-found");
        }
        System.Collections.Immutable.ImmutableArray<SourceEvent> events;
        JsonNode body;
        try
        {
            events = SourceEvents.Parse(kind, json);
            body = JsonNode.Parse(json)!;
        }
        catch (DriftInputException e)
        {
            return new SourceIngest(0, 0, string.Join("; ", e.Problems));
        }
        catch (System.Text.Json.JsonException e)
        {
            return new SourceIngest(0, 0, $"not JSON: {e.Message}");
        }
        // A record may hold several events (a batch of audits, a Resource Graph page): each is stored as its own
        // record when the body is an array, keyed by the events it holds.
        var now = time.GetUtcNow();
        var items = body is JsonArray array && array.Count == events.Length ? [.. array.Select(n => n!)] : Enumerable.Repeat(body, events.Length).ToList();
        var stored = 0;
        for (var i = 0; i < events.Length; i++)
        {
            if (await store.AddAsync(new StoredSourceEvent(DriftNames.Of(kind), events[i].EventId, events[i].At, now, items[i].DeepClone()), cancellationToken))
            {
                stored++;
            }
        }
        return new SourceIngest(events.Length, stored, null);
    }
}
