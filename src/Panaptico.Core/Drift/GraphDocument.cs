using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Drift;

/// <summary>
/// Reads intent from a YAML or JSON graph document (<c>objects: [{ id, kind, system, connector, scope, owner,
/// workspace, aliases, relationships, fields: { name: { value, reason, comparator, envelope, contract, ignore } } }]</c>),
/// refusing it whole with every problem named by line (YAML) or JSON path. <see cref="DriftJson.Graph"/> writes it.
/// </summary>
public static class GraphDocument
{
    private static readonly string[] s_objectFields = ["id", "kind", "system", "connector", "scope", "owner", "workspace", "aliases", "relationships", "fields"];
    private static readonly string[] s_intentFields = ["value", "reason", "comparator", "envelope", "contract", "ignore"];

    /// <exception cref="DriftInputException">Code <see cref="DriftCodes.GraphInvalid"/>, each problem naming its line.</exception>
    public static ImmutableArray<GraphObject> ParseYaml(string yaml) => Read(DriftDocument.Yaml(yaml, DriftCodes.GraphInvalid));

    /// <exception cref="DriftInputException">Code <see cref="DriftCodes.GraphInvalid"/>, each problem naming its JSON path.</exception>
    public static ImmutableArray<GraphObject> ParseJson(string json) => Read(DriftDocument.Json(json, DriftCodes.GraphInvalid));

    /// <summary>Problems with an object defined through the API (ids, owner, names), each prefixed by <paramref name="path"/>.</summary>
    public static IEnumerable<string> Check(GraphObject obj, string path)
    {
        foreach (var (name, value) in new[] { ("id", obj.Id), ("kind", obj.Kind), ("system", obj.SourceSystem), ("connector", obj.Connector), ("scope", obj.Scope) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                yield return $"{path}.{name} is required";
            }
        }

        if (obj.Owner is null || string.IsNullOrWhiteSpace(obj.Owner.Team) || string.IsNullOrWhiteSpace(obj.Owner.OnCall) || string.IsNullOrWhiteSpace(obj.Owner.ApproverOfRecord))
        {
            yield return $"{path}.owner needs team, onCall and approverOfRecord";
        }

        foreach (var (field, intent) in obj.Fields ?? ImmutableDictionary<string, IntendedValue>.Empty)
        {
            if (intent?.Reason is null || string.IsNullOrWhiteSpace(intent.Reason.Id))
            {
                yield return $"{path}.fields.{field}.reason is required: every intended value carries its reason of record";
            }
        }
    }

    internal static ImmutableArray<GraphObject> Read(DriftDocument doc)
    {
        var root = doc.Object(doc.Root, "$");
        doc.OnlyKnown(root, "$", "version", "objects");
        var objects = ImmutableArray.CreateBuilder<GraphObject>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (node, i) in (doc.Array(root?["objects"], "$.objects") ?? []).Select((n, i) => (n, i)))
        {
            var path = $"$.objects[{i}]";
            if (ReadObject(doc, node, path) is { } obj)
            {
                if (!ids.Add(obj.Id))
                {
                    doc.Problem($"{path}.id", $"object '{obj.Id}' is defined twice");
                }

                objects.Add(obj);
            }
        }

        doc.ThrowIfProblems(DriftCodes.GraphInvalid);
        return objects.ToImmutable();
    }

    private static GraphObject? ReadObject(DriftDocument doc, JsonNode? node, string path)
    {
        var obj = doc.Object(node, path);
        if (obj is null)
        {
            return null;
        }

        doc.OnlyKnown(obj, path, s_objectFields);
        var id = doc.String(obj, "id", path);
        var kind = doc.String(obj, "kind", path);
        var system = doc.String(obj, "system", path);
        var connector = doc.String(obj, "connector", path);
        var scope = doc.String(obj, "scope", path);
        var ownerNode = doc.Object(obj["owner"], $"{path}.owner");
        doc.OnlyKnown(ownerNode, $"{path}.owner", "team", "onCall", "approverOfRecord");
        var owner = new ObjectOwner(
            doc.String(ownerNode, "team", $"{path}.owner") ?? "",
            doc.String(ownerNode, "onCall", $"{path}.owner") ?? "",
            doc.String(ownerNode, "approverOfRecord", $"{path}.owner") ?? "");
        var relationships = ImmutableArray.CreateBuilder<ObjectRelationship>();
        foreach (var (rel, r) in (doc.Array(obj["relationships"], $"{path}.relationships", required: false) ?? []).Select((n, r) => (n, r)))
        {
            var relPath = $"{path}.relationships[{r}]";
            var relObj = doc.Object(rel, relPath);
            doc.OnlyKnown(relObj, relPath, "kind", "target");
            relationships.Add(new ObjectRelationship(doc.String(relObj, "kind", relPath) ?? "", doc.String(relObj, "target", relPath) ?? ""));
        }

        var fields = new Dictionary<string, IntendedValue>(StringComparer.Ordinal);
        var fieldsNode = doc.Object(obj["fields"], $"{path}.fields");
        foreach (var (name, intentNode) in fieldsNode ?? [])
        {
            if (ReadIntent(doc, intentNode, $"{path}.fields.{name}") is { } intent)
            {
                fields[name] = intent;
            }
        }

        if (id is null || kind is null || system is null || connector is null || scope is null)
        {
            return null;
        }

        return new GraphObject(id, kind, system, connector, scope, owner)
        {
            Fields = fields,
            Relationships = relationships.ToImmutable(),
            Aliases = [.. doc.Strings(obj, "aliases", path)],
            Workspace = doc.String(obj, "workspace", path, required: false),
        };
    }

    private static IntendedValue? ReadIntent(DriftDocument doc, JsonNode? node, string path)
    {
        var obj = doc.Object(node, path);
        if (obj is null)
        {
            return null;
        }

        doc.OnlyKnown(obj, path, s_intentFields);
        if (!obj.ContainsKey("value"))
        {
            doc.Problem($"{path}.value", "is required (null means the field must be absent)");
        }

        var reason = ReadReason(doc, obj["reason"], $"{path}.reason");
        var comparator = Comparator.Exact;
        if (doc.String(obj, "comparator", path, required: false) is { } c && !DriftNames.TryParse(c, out comparator))
        {
            doc.Problem($"{path}.comparator", $"unknown comparator '{c}' (known: {DriftNames.Choices<Comparator>()})");
        }

        Envelope? envelope = null;
        if (doc.Object(obj["envelope"], $"{path}.envelope", required: false) is { } e)
        {
            doc.OnlyKnown(e, $"{path}.envelope", "min", "max", "values");
            var values = doc.Array(e["values"], $"{path}.envelope.values", required: false);
            envelope = new Envelope(doc.Number(e, "min", $"{path}.envelope"), doc.Number(e, "max", $"{path}.envelope"), values is null ? null : [.. values.Select(v => v?.DeepClone())]);
            if (envelope is { Min: null, Max: null, Values: null })
            {
                doc.Problem($"{path}.envelope", "needs min/max or values");
            }
        }

        IntentContract? contract = null;
        if (doc.Object(obj["contract"], $"{path}.contract", required: false) is { } k)
        {
            doc.OnlyKnown(k, $"{path}.contract", "id", "text");
            contract = new IntentContract(doc.String(k, "id", $"{path}.contract") ?? "", doc.String(k, "text", $"{path}.contract") ?? "");
        }

        FieldIgnore? ignore = null;
        if (doc.Object(obj["ignore"], $"{path}.ignore", required: false) is { } g)
        {
            doc.OnlyKnown(g, $"{path}.ignore", "owner", "reason", "expires");
            ignore = new FieldIgnore(doc.String(g, "owner", $"{path}.ignore") ?? "", doc.String(g, "reason", $"{path}.ignore") ?? "", doc.Time(g, "expires", $"{path}.ignore") ?? default);
        }

        return reason is null ? null : new IntendedValue(obj["value"]?.DeepClone(), reason) { Comparator = comparator, Envelope = envelope, Contract = contract, Ignore = ignore };
    }

    private static ReasonOfRecord? ReadReason(DriftDocument doc, JsonNode? node, string path)
    {
        var obj = doc.Object(node, path);
        if (obj is null)
        {
            return null;
        }

        doc.OnlyKnown(obj, path, "kind", "id", "detail");
        var kindText = doc.String(obj, "kind", path);
        var id = doc.String(obj, "id", path);
        var detail = doc.String(obj, "detail", path, required: false);
        if (kindText is null || id is null)
        {
            return null;
        }

        if (!DriftNames.TryParse<ReasonKind>(kindText, out var kind))
        {
            doc.Problem($"{path}.kind", $"unknown reason kind '{kindText}' (known: {DriftNames.Choices<ReasonKind>()})");
            return null;
        }

        return new ReasonOfRecord(kind, id, detail);
    }
}
