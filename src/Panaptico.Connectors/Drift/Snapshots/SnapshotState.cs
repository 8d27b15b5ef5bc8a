using System.Text.Json.Nodes;

namespace Panaptico.Connectors.Drift.Snapshots;

/// <summary>
/// The typed state of one kind of object we do not read directly: a collector pushes it, we validate it, and its
/// fields become the object's live fields. Field names are stable: intent in the graph names them.
/// </summary>
public interface ISnapshotState
{
    /// <summary>Reports each missing or malformed field into <paramref name="check"/> (already under <c>state</c>).</summary>
    void Validate(SnapshotCheck check);

    /// <summary>The live fields, by name; lists whose order means nothing are sorted, so a reordered push reads the same.</summary>
    IReadOnlyDictionary<string, JsonNode?> ToFields();
}

/// <summary>Small helpers the schemas build their fields with.</summary>
internal static class SnapshotFields
{
    public static JsonArray SortedSet(IEnumerable<string?> values) =>
        [.. values.OfType<string>().Order(StringComparer.Ordinal).Select(v => (JsonNode?)JsonValue.Create(v))];
}
