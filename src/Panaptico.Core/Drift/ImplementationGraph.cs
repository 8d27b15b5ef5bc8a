using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;
using Panaptico.Core.Ledger;

namespace Panaptico.Core.Drift;

/// <summary>One field's new intent: what a re-baseline, a closed change or an API edit sets.</summary>
public sealed record FieldIntent(string ObjectId, string Field, IntendedValue Intended);

/// <summary>
/// A change to intent: objects defined (replaced whole), fields set, objects removed. <see cref="Reason"/> is why
/// (the run, change record, decision record or re-baseline); it is recorded in the ledger entry.
/// </summary>
public sealed record IntentChange(ReasonOfRecord Reason)
{
    public ImmutableArray<GraphObject> Define { get; init; } = [];

    public ImmutableArray<FieldIntent> Fields { get; init; } = [];

    public ImmutableArray<string> Remove { get; init; } = [];

    public bool IsEmpty => Define.IsDefaultOrEmpty && Fields.IsDefaultOrEmpty && Remove.IsDefaultOrEmpty;
}

/// <summary>The graph after a change, and the ledger entry that records it (append it after storing the graph).</summary>
public sealed record GraphChange(ImplementationGraph Graph, LedgerEntry Entry);

/// <summary>
/// The implementation graph: intent for every object, versioned. Every change makes a new version and a ledger
/// entry; the graph itself is immutable, so a refused change leaves it untouched.
/// </summary>
public sealed class ImplementationGraph
{
    public const string LedgerStream = "drift";
    public const string ChangedKind = "intent.changed";

    private ImplementationGraph(long version, ImmutableDictionary<string, GraphObject> objects)
    {
        Version = version;
        Objects = objects;
    }

    public static ImplementationGraph Empty { get; } = new(0, ImmutableDictionary.Create<string, GraphObject>(StringComparer.Ordinal));

    /// <summary>Counts changes applied: 0 for the empty graph, +1 per <see cref="Apply"/>.</summary>
    public long Version { get; }

    public ImmutableDictionary<string, GraphObject> Objects { get; }

    public int FieldCount => Objects.Values.Sum(o => o.Fields.Count);

    /// <summary>A graph at a stored version (loading from storage); no ledger entry.</summary>
    public static ImplementationGraph Restore(long version, IEnumerable<GraphObject> objects) =>
        new(version, objects.ToImmutableDictionary(o => o.Id, StringComparer.Ordinal));

    public GraphObject? Find(string objectId) => Objects.GetValueOrDefault(objectId);

    /// <summary>
    /// Applies <paramref name="change"/>: returns the next version and its ledger entry, whose <c>EntryId</c>
    /// (<c>drift/intent/v{version}</c>) makes a retried append of the same step land once.
    /// </summary>
    /// <param name="expectedVersion">When given, the version the change was made against; another version is a conflict.</param>
    /// <param name="connectors">When given, the connector kinds that exist; an object naming another is refused.</param>
    /// <exception cref="DriftInputException">Unknown object, unknown connector, version conflict, or an empty change.</exception>
    public GraphChange Apply(IntentChange change, string actor, DateTimeOffset at, long? expectedVersion = null, IReadOnlySet<string>? connectors = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (expectedVersion is { } expected && expected != Version)
        {
            throw new DriftInputException(DriftCodes.VersionConflict, [$"the change was made against graph version {expected}; the graph is at version {Version}"]);
        }

        if (change.IsEmpty)
        {
            throw new DriftInputException(DriftCodes.GraphInvalid, ["the change defines, sets and removes nothing"]);
        }

        var problems = new List<string>();
        var objects = Objects.ToBuilder();
        foreach (var (obj, i) in change.Define.Select((o, i) => (o, i)))
        {
            problems.AddRange(GraphDocument.Check(obj, $"define[{i}]"));
            if (connectors is not null && !connectors.Contains(obj.Connector))
            {
                throw new DriftInputException(DriftCodes.UnknownConnector, [$"define[{i}] ({obj.Id}): connector '{obj.Connector}' is not one of {string.Join(", ", connectors.Order())}"]);
            }

            objects[obj.Id] = obj;
        }

        foreach (var group in change.Fields.GroupBy(f => f.ObjectId, StringComparer.Ordinal))
        {
            if (!objects.TryGetValue(group.Key, out var obj))
            {
                throw new DriftInputException(DriftCodes.UnknownObject, [$"no object '{group.Key}' in the graph"]);
            }

            var fields = obj.Fields.ToDictionary(StringComparer.Ordinal);
            foreach (var field in group)
            {
                fields[field.Field] = field.Intended;
            }

            objects[obj.Id] = obj with { Fields = fields };
        }

        foreach (var id in change.Remove)
        {
            if (!objects.Remove(id))
            {
                throw new DriftInputException(DriftCodes.UnknownObject, [$"no object '{id}' in the graph to remove"]);
            }
        }

        if (problems.Count > 0)
        {
            throw new DriftInputException(DriftCodes.GraphInvalid, problems);
        }

        var next = new ImplementationGraph(Version + 1, objects.ToImmutable());
        var data = new JsonObject
        {
            ["version"] = next.Version,
            ["previousVersion"] = Version,
            ["reason"] = DriftJson.Reason(change.Reason),
            ["defined"] = DriftJson.Strings(change.Define.Select(o => o.Id)),
            ["fields"] = DriftJson.Strings(change.Fields.Select(f => $"{f.ObjectId}#{f.Field}")),
            ["removed"] = DriftJson.Strings(change.Remove),
            ["objects"] = next.Objects.Count,
            ["at"] = DriftJson.Time(at),
        };
        data["changeSha256"] = ContentHash.Sha256HexOfCanonical(DriftJson.Change(change));
        var entry = new LedgerEntry(LedgerStream, ChangedKind, $"graph/v{next.Version}", actor, data) { EntryId = $"drift/intent/v{next.Version}" };
        return new GraphChange(next, entry);
    }
}
