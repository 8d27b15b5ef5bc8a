using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Panaptico.Core.Drift;

/// <summary>
/// A YAML or JSON document read as a JSON tree, remembering the line of every path, so that every problem found
/// while validating it can name its line (YAML) or JSON path. Shared by the graph import and the routing policy.
/// </summary>
internal sealed class DriftDocument
{
    private readonly Dictionary<string, long> _lines;
    private readonly List<string> _problems = [];

    private DriftDocument(JsonNode? root, Dictionary<string, long> lines)
    {
        Root = root;
        _lines = lines;
    }

    public JsonNode? Root { get; }

    public IReadOnlyList<string> Problems => _problems;

    public static DriftDocument Yaml(string text, string code)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new DriftInputException(code, [$"line {e.Start.Line}, column {e.Start.Column}: {e.Message}{(e.InnerException is null ? "" : $" {e.InnerException.Message}")}"]);
        }

        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        var root = stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode, "$", lines);
        return new DriftDocument(root, lines);
    }

    public static DriftDocument Json(string text, string code)
    {
        try
        {
            return new DriftDocument(JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false }), []);
        }
        catch (JsonException e)
        {
            throw new DriftInputException(code, [$"{e.Path ?? "$"} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}"]);
        }
    }

    /// <summary>"line 14 (rules[2].action)" for YAML, "$.objects[3].fields.x" for JSON.</summary>
    public string Where(string path)
    {
        // A missing member has no line: name the nearest ancestor that has one.
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (_lines.TryGetValue(p, out var line))
            {
                return $"line {line} ({Display(path)})";
            }
        }

        return path;
    }

    public void Problem(string path, string message) => _problems.Add($"{Where(path)}: {message}");

    public void ThrowIfProblems(string code)
    {
        if (_problems.Count > 0)
        {
            throw new DriftInputException(code, [.. _problems]);
        }
    }

    public JsonObject? Object(JsonNode? node, string path, bool required = true)
    {
        if (node is JsonObject obj)
        {
            return obj;
        }

        if (node is not null || required)
        {
            Problem(path, node is null ? "is required (a mapping)" : "must be a mapping");
        }

        return null;
    }

    public JsonArray? Array(JsonNode? node, string path, bool required = true)
    {
        if (node is JsonArray array)
        {
            return array;
        }

        if (node is not null || required)
        {
            Problem(path, node is null ? "is required (a list)" : "must be a list");
        }

        return null;
    }

    public string? String(JsonObject? parent, string name, string path, bool required = true)
    {
        var node = parent?[name];
        if (node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0)
        {
            return text;
        }

        if (node is JsonValue scalar && scalar.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
        {
            return scalar.ToJsonString();
        }

        if (node is not null || required)
        {
            Problem($"{path}.{name}", node is null ? "is required" : "must be a non-empty string");
        }

        return null;
    }

    public IReadOnlyList<string> Strings(JsonObject? parent, string name, string path)
    {
        var node = parent?[name];
        if (node is null)
        {
            return [];
        }

        if (node is JsonValue)
        {
            return String(parent, name, path) is { } single ? [single] : [];
        }

        var list = new List<string>();
        foreach (var (item, i) in (Array(node, $"{path}.{name}") ?? []).Select((n, i) => (n, i)))
        {
            if (item is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
            {
                list.Add(s);
            }
            else
            {
                Problem($"{path}.{name}[{i}]", "must be a non-empty string");
            }
        }

        return list;
    }

    public DateTimeOffset? Time(JsonObject? parent, string name, string path, bool required = true)
    {
        var text = String(parent, name, path, required);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        Problem($"{path}.{name}", $"'{text}' is not a date-time (ISO 8601)");
        return null;
    }

    public decimal? Number(JsonObject? parent, string name, string path)
    {
        var node = parent?[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            if (v.TryGetValue<decimal>(out var d))
            {
                return d;
            }

            if (v.TryGetValue<long>(out var l))
            {
                return l;
            }
        }

        if (node is JsonValue s && s.TryGetValue<string>(out var text) && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        Problem($"{path}.{name}", "must be a number");
        return null;
    }

    public bool? Bool(JsonObject? parent, string name, string path)
    {
        var node = parent?[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetValue<bool>();
        }

        Problem($"{path}.{name}", "must be true or false");
        return null;
    }

    /// <summary>Refuses members the format does not define: a misspelt key must not be silently ignored.</summary>
    public void OnlyKnown(JsonObject? obj, string path, params string[] known)
    {
        foreach (var (key, _) in obj ?? [])
        {
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                Problem($"{path}.{key}", $"unknown field '{key}' (known: {string.Join(", ", known)})");
            }
        }
    }

    private static string Display(string path) => path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }

    private static JsonNode? Convert(YamlNode node, string path, Dictionary<string, long> lines)
    {
        lines[path] = node.Start.Line;
        switch (node)
        {
            case YamlMappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Children)
                {
                    var name = (key as YamlScalarNode)?.Value ?? key.ToString();
                    var child = $"{path}.{name}";
                    obj[name] = Convert(value, child, lines);
                    lines[child] = key.Start.Line;
                }

                return obj;
            case YamlSequenceNode sequence:
                var array = new JsonArray();
                var i = 0;
                foreach (var item in sequence.Children)
                {
                    array.Add(Convert(item, $"{path}[{i++}]", lines));
                }

                return array;
            case YamlScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    // Plain scalars carry YAML's core types; quoted ones are strings.
    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            _ when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && text.Any(char.IsDigit) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }
}
