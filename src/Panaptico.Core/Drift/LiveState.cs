using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Drift;

/// <summary>
/// One object as a connector read it: the fields it could read (a field missing from <see cref="Fields"/> was not
/// present on the object; an unreadable object is reported by the connector, not by an empty read).
/// </summary>
public sealed record LiveObject(string ObjectId, IReadOnlyDictionary<string, JsonNode?> Fields, DateTimeOffset ReadAt);

/// <summary>The live side of one sweep: every object read, by id.</summary>
public sealed record LiveState(IReadOnlyDictionary<string, LiveObject> Objects, DateTimeOffset ReadAt)
{
    public static LiveState Of(IEnumerable<LiveObject> objects, DateTimeOffset readAt) =>
        new(objects.ToImmutableDictionary(o => o.ObjectId, StringComparer.Ordinal), readAt);
}

/// <summary>
/// Reads live state for the objects of one connector kind (azure-storage, entra, snapshot, …). Implemented in
/// Panaptico.Connectors; the sweep depends on this, not on any SDK.
/// </summary>
public interface IDriftConnector
{
    /// <summary>The connector kind that graph objects name in <see cref="GraphObject.Connector"/>.</summary>
    string Kind { get; }

    /// <summary>Reads the object's current fields (at least those the graph holds intent for).</summary>
    Task<LiveObject> ReadAsync(GraphObject obj, CancellationToken ct);
}
