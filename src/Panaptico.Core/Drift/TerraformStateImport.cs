using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Drift;

/// <summary>
/// Who owns what a Terraform state file declares, and which run applied it: state says nothing of who or when.
/// </summary>
/// <param name="Run">The run that wrote the state (kind terraform-run): the reason of record of every value imported.</param>
/// <param name="Workspace">The Terraform Cloud workspace: runs there explain the objects' drift.</param>
public sealed record TerraformImportContext(ReasonOfRecord Run, string Workspace, string Scope, ObjectOwner Owner)
{
    /// <summary>Resource type prefix → connector kind (longest prefix wins); types matching none read through <see cref="DefaultConnector"/>.</summary>
    public IReadOnlyDictionary<string, string> Connectors { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["azurerm_storage_"] = "azure-storage",
        ["azuread_"] = "entra",
    };

    public string DefaultConnector { get; init; } = "snapshot";

    /// <summary>Provider name → source system, where they differ (azurerm → azure, azuread → entra).</summary>
    public IReadOnlyDictionary<string, string> Systems { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["azurerm"] = "azure",
        ["azuread"] = "entra",
    };
}

/// <summary>
/// Imports intent from a Terraform state file (version 4): every managed resource instance becomes a graph object
/// whose attributes are its intended fields, with the run as their reason of record. Sensitive attributes, computed
/// timeouts and nulls (not set) are left out; lists compare as sets (Terraform reorders set-typed attributes).
/// </summary>
public static class TerraformStateImport
{
    private static readonly string[] s_aliasAttributes = ["arn", "object_id", "key_id", "application_id", "client_id", "name"];

    /// <exception cref="DriftInputException">Code <see cref="DriftCodes.TerraformStateInvalid"/>, naming the JSON path.</exception>
    public static ImmutableArray<GraphObject> Read(string stateJson, TerraformImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Run.Kind != ReasonKind.TerraformRun)
        {
            throw new ArgumentException("the reason of record of a state import is the Terraform run that wrote it", nameof(context));
        }

        var doc = DriftDocument.Json(stateJson, DriftCodes.TerraformStateInvalid);
        var root = doc.Object(doc.Root, "$");
        if (root?["version"] is not JsonValue version || version.GetValueKind() != JsonValueKind.Number || version.GetValue<int>() != 4)
        {
            doc.Problem("$.version", $"must be 4 (a Terraform state v4 file), not {root?["version"]?.ToJsonString() ?? "absent"}");
            doc.ThrowIfProblems(DriftCodes.TerraformStateInvalid);
        }

        var objects = ImmutableArray.CreateBuilder<GraphObject>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (resourceNode, r) in (doc.Array(root!["resources"], "$.resources") ?? []).Select((n, r) => (n, r)))
        {
            var path = $"$.resources[{r}]";
            var resource = doc.Object(resourceNode, path);
            var mode = doc.String(resource, "mode", path);
            var type = doc.String(resource, "type", path);
            var name = doc.String(resource, "name", path);
            if (resource is null || mode is null || type is null || name is null)
            {
                continue;
            }

            if (mode != "managed")
            {
                continue; // data sources are reads, not intent
            }

            var module = doc.String(resource, "module", path, required: false);
            var provider = ProviderName(doc.String(resource, "provider", path, required: false) ?? type.Split('_')[0]);
            foreach (var (instanceNode, i) in (doc.Array(resource["instances"], $"{path}.instances") ?? []).Select((n, i) => (n, i)))
            {
                var ipath = $"{path}.instances[{i}]";
                var instance = doc.Object(instanceNode, ipath);
                var attributes = doc.Object(instance?["attributes"], $"{ipath}.attributes");
                if (instance is null || attributes is null)
                {
                    continue;
                }

                var address = Address(module, type, name, instance["index_key"]);
                var sensitive = Sensitive(doc, instance["sensitive_attributes"], $"{ipath}.sensitive_attributes");
                var id = attributes["id"] is JsonValue idValue && idValue.TryGetValue<string>(out var s) && s.Length > 0 ? s : address;
                if (!ids.Add(id))
                {
                    doc.Problem($"{ipath}.attributes.id", $"'{id}' is declared by two instances");
                    continue;
                }

                var fields = new Dictionary<string, IntendedValue>(StringComparer.Ordinal);
                foreach (var (field, value) in attributes)
                {
                    if (field is "id" or "timeouts" || value is null || sensitive.Contains(field))
                    {
                        continue;
                    }

                    fields[field] = new IntendedValue(value.DeepClone(), context.Run) { Comparator = value is JsonArray ? Comparator.SetEqual : Comparator.Exact };
                }

                var aliases = s_aliasAttributes
                    .Select(a => attributes[a] is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0 && text != id ? text : null)
                    .OfType<string>()
                    .Prepend(address)
                    .Distinct(StringComparer.Ordinal);
                objects.Add(new GraphObject(id, type, context.Systems.GetValueOrDefault(provider) ?? provider, Connector(context, type), context.Scope, context.Owner)
                {
                    Fields = fields,
                    Aliases = [.. aliases],
                    Workspace = context.Workspace,
                    Relationships = [.. (instance["dependencies"] as JsonArray ?? []).Select(d => d?.GetValue<string>()).OfType<string>().Select(d => new ObjectRelationship("depends-on", d))],
                });
            }
        }

        doc.ThrowIfProblems(DriftCodes.TerraformStateInvalid);
        return objects.ToImmutable();
    }

    private static string Connector(TerraformImportContext context, string type) =>
        context.Connectors.Where(c => type.StartsWith(c.Key, StringComparison.Ordinal)).OrderByDescending(c => c.Key.Length).Select(c => c.Value).FirstOrDefault() ?? context.DefaultConnector;

    /// <summary><c>provider["registry.terraform.io/hashicorp/azuread"]</c> → <c>azuread</c>.</summary>
    private static string ProviderName(string provider)
    {
        var start = provider.LastIndexOf('/') + 1;
        var end = provider.IndexOf('"', start);
        return (end > start ? provider[start..end] : provider[start..]).Trim('[', ']', '"');
    }

    private static string Address(string? module, string type, string name, JsonNode? indexKey)
    {
        var address = $"{type}.{name}";
        if (indexKey is JsonValue key)
        {
            address += key.GetValueKind() == JsonValueKind.String ? $"[\"{key.GetValue<string>()}\"]" : $"[{key.ToJsonString()}]";
        }

        return module is null ? address : $"{module}.{address}";
    }

    /// <summary>Top-level attribute names marked sensitive: paths of steps (<c>[[{"type":"get_attr","value":"x"}]]</c>) or plain names.</summary>
    private static HashSet<string> Sensitive(DriftDocument doc, JsonNode? node, string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (item, i) in (doc.Array(node, path, required: false) ?? []).Select((n, i) => (n, i)))
        {
            var step = item is JsonArray steps ? steps.FirstOrDefault() : item;
            var name = step switch
            {
                JsonObject o when o["value"] is JsonValue v && v.TryGetValue<string>(out var s) => s,
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                _ => null,
            };
            if (name is null)
            {
                doc.Problem($"{path}[{i}]", "is not an attribute path");
            }
            else
            {
                names.Add(name);
            }
        }

        return names;
    }
}
