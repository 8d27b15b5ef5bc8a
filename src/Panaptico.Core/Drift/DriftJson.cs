using System.Globalization;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Drift;

/// <summary>The JSON forms of drift values in ledger entries, feed rows and the graph document.</summary>
public static class DriftJson
{
    public static string Time(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static JsonArray Strings(IEnumerable<string> values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];

    /// <summary>A value as people read it in a line: canonical JSON, cut at 80 characters.</summary>
    public static string Show(JsonNode? value)
    {
        var text = value is null ? "null" : CanonicalJson.SerializeToString(value);
        return text.Length <= 80 ? text : $"{text[..77]}…";
    }

    public static JsonObject Reason(ReasonOfRecord reason)
    {
        var json = new JsonObject { ["kind"] = DriftNames.Of(reason.Kind), ["id"] = reason.Id };
        if (reason.Detail is not null)
        {
            json["detail"] = reason.Detail;
        }

        return json;
    }

    /// <summary>One intended value in the graph document's shape (what <see cref="GraphDocument"/> reads back).</summary>
    public static JsonObject Intended(IntendedValue value)
    {
        var json = new JsonObject { ["value"] = value.Value?.DeepClone(), ["reason"] = Reason(value.Reason) };
        if (value.Comparator != Comparator.Exact)
        {
            json["comparator"] = DriftNames.Of(value.Comparator);
        }

        if (value.Envelope is { } envelope)
        {
            var e = new JsonObject();
            if (envelope.Min is { } min)
            {
                e["min"] = min;
            }

            if (envelope.Max is { } max)
            {
                e["max"] = max;
            }

            if (envelope.Values is { } values)
            {
                e["values"] = new JsonArray([.. values.Select(v => v?.DeepClone())]);
            }

            json["envelope"] = e;
        }

        if (value.Contract is { } contract)
        {
            json["contract"] = new JsonObject { ["id"] = contract.Id, ["text"] = contract.Text };
        }

        if (value.Ignore is { } ignore)
        {
            json["ignore"] = new JsonObject { ["owner"] = ignore.Owner, ["reason"] = ignore.Reason, ["expires"] = Time(ignore.Expires) };
        }

        return json;
    }

    /// <summary>One object in the graph document's shape.</summary>
    public static JsonObject Object(GraphObject obj)
    {
        var json = new JsonObject
        {
            ["id"] = obj.Id,
            ["kind"] = obj.Kind,
            ["system"] = obj.SourceSystem,
            ["connector"] = obj.Connector,
            ["scope"] = obj.Scope,
            ["owner"] = new JsonObject { ["team"] = obj.Owner.Team, ["onCall"] = obj.Owner.OnCall, ["approverOfRecord"] = obj.Owner.ApproverOfRecord },
        };
        if (obj.Workspace is not null)
        {
            json["workspace"] = obj.Workspace;
        }

        if (!obj.Aliases.IsDefaultOrEmpty)
        {
            json["aliases"] = Strings(obj.Aliases);
        }

        if (!obj.Relationships.IsDefaultOrEmpty)
        {
            json["relationships"] = new JsonArray([.. obj.Relationships.Select(r => (JsonNode?)new JsonObject { ["kind"] = r.Kind, ["target"] = r.Target })]);
        }

        json["fields"] = new JsonObject(obj.Fields.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => KeyValuePair.Create(f.Key, (JsonNode?)Intended(f.Value))));
        return json;
    }

    /// <summary>The whole graph as a document (<c>version</c>, <c>objects</c>) that <see cref="GraphDocument.ParseJson"/> reads back.</summary>
    public static JsonObject Graph(ImplementationGraph graph) => new()
    {
        ["version"] = graph.Version,
        ["objects"] = new JsonArray([.. graph.Objects.Values.OrderBy(o => o.Id, StringComparer.Ordinal).Select(o => (JsonNode?)Object(o))]),
    };

    public static JsonObject Change(IntentChange change) => new()
    {
        ["reason"] = Reason(change.Reason),
        ["define"] = new JsonArray([.. change.Define.Select(o => (JsonNode?)Object(o))]),
        ["fields"] = new JsonArray([.. change.Fields.Select(f => (JsonNode?)new JsonObject { ["object"] = f.ObjectId, ["field"] = f.Field, ["intent"] = Intended(f.Intended) })]),
        ["remove"] = Strings(change.Remove),
    };

    public static JsonObject Source(SourceEvent e)
    {
        var json = new JsonObject
        {
            ["kind"] = DriftNames.Of(e.Kind),
            ["eventId"] = e.EventId,
            ["at"] = Time(e.At),
            ["objects"] = Strings(e.Objects),
            ["actor"] = e.Actor,
            ["actorName"] = e.ActorName,
            ["correlationId"] = e.CorrelationId,
            ["fields"] = Strings(e.Fields),
            ["succeeded"] = e.Succeeded,
        };
        if (e.WindowStart is { } start)
        {
            json["windowStart"] = Time(start);
        }

        if (e.WindowEnd is { } end)
        {
            json["windowEnd"] = Time(end);
        }

        if (e.Workspace is not null)
        {
            json["workspace"] = e.Workspace;
        }

        json["details"] = new JsonObject(e.Details.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => KeyValuePair.Create(d.Key, (JsonNode?)d.Value)));
        return json;
    }

    public static JsonObject Delta(DriftDelta d) => new()
    {
        ["object"] = d.ObjectId,
        ["field"] = d.Field,
        ["intended"] = Intended(d.Intended),
        ["live"] = d.LiveAbsent ? null : d.Live?.DeepClone(),
        ["liveAbsent"] = d.LiveAbsent,
        ["comparator"] = DriftNames.Of(d.Comparator),
        ["envelope"] = DriftNames.Of(d.Envelope),
        ["firstSeen"] = Time(d.FirstSeen),
        ["changedAfter"] = d.ChangedAfter is { } after ? Time(after) : null,
    };
}
