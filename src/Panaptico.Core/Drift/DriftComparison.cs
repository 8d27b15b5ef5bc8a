using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Drift;

/// <summary>The comparators: whether a live value matches intent, and the key a drifted value is remembered by.</summary>
public static class DriftComparison
{
    private const int MaxKeyLength = 200;

    public static bool Matches(Comparator comparator, JsonNode? intended, JsonNode? live)
    {
        // The sweep's hot path: scalars of the same type are compared without building anything.
        if (intended is JsonValue a && live is JsonValue b)
        {
            if (a.TryGetValue<string>(out var sa) && b.TryGetValue<string>(out var sb))
            {
                return comparator switch
                {
                    Comparator.CaseInsensitive => string.Equals(sa, sb, StringComparison.OrdinalIgnoreCase),
                    Comparator.JsonNormalised when LooksLikeJson(sa) || LooksLikeJson(sb) => Canonical(comparator, a) == Canonical(comparator, b),
                    _ => string.Equals(sa, sb, StringComparison.Ordinal),
                };
            }

            if (a.TryGetValue<bool>(out var ba) && b.TryGetValue<bool>(out var bb))
            {
                return ba == bb;
            }

            if (Number(a) is { } na && Number(b) is { } nb)
            {
                return na == nb;
            }
        }

        if (intended is null || live is null)
        {
            return intended is null && live is null;
        }

        return comparator switch
        {
            Comparator.Exact => JsonNode.DeepEquals(intended, live),
            _ => Canonical(comparator, intended) == Canonical(comparator, live),
        };
    }

    /// <summary>The canonical form under a comparator: set-equal sorts array elements, case-insensitive lowers strings, json-normalised parses JSON held in strings.</summary>
    public static string Canonical(Comparator comparator, JsonNode? node)
    {
        var normalised = Normalise(comparator, node);
        return normalised is null ? "null" : CanonicalJson.SerializeToString(normalised);
    }

    /// <summary>The key a drifted live value is remembered by: its canonical form, or a hash of it when long.</summary>
    public static string ValueKey(Comparator comparator, JsonNode? live, bool absent)
    {
        if (absent)
        {
            return "absent";
        }

        var canonical = Canonical(comparator, live);
        return canonical.Length <= MaxKeyLength ? canonical : $"sha256:{ContentHash.Sha256Hex(System.Text.Encoding.UTF8.GetBytes(canonical))}";
    }

    /// <summary>Whether a drifted value is inside the field's envelope (numbers in range, or one of the allowed values).</summary>
    public static EnvelopeVerdict Envelope(IntendedValue intended, JsonNode? live)
    {
        if (intended.Envelope is not { } envelope)
        {
            return EnvelopeVerdict.None;
        }

        if (envelope.Values is { Count: > 0 } values)
        {
            return values.Any(v => Matches(intended.Comparator, v, live)) ? EnvelopeVerdict.Inside : EnvelopeVerdict.Outside;
        }

        var number = live is JsonValue value ? Number(value) ?? (value.TryGetValue<string>(out var s) && decimal.TryParse(s, out var parsed) ? parsed : null) : null;
        if (number is not { } n || (envelope.Min is null && envelope.Max is null))
        {
            return EnvelopeVerdict.Outside;
        }

        return (envelope.Min is null || n >= envelope.Min) && (envelope.Max is null || n <= envelope.Max) ? EnvelopeVerdict.Inside : EnvelopeVerdict.Outside;
    }

    private static JsonNode? Normalise(Comparator comparator, JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue value when value.TryGetValue<string>(out var text):
                if (comparator == Comparator.CaseInsensitive)
                {
                    return JsonValue.Create(text.ToLowerInvariant());
                }

                if (comparator == Comparator.JsonNormalised && LooksLikeJson(text))
                {
                    try
                    {
                        return Normalise(comparator, JsonNode.Parse(text));
                    }
                    catch (JsonException)
                    {
                        return value.DeepClone();
                    }
                }

                return value.DeepClone();
            case JsonArray array:
                var items = array.Select(i => Normalise(comparator, i)).ToList();
                if (comparator == Comparator.SetEqual)
                {
                    items = [.. items.Select(i => (Key: i is null ? "null" : CanonicalJson.SerializeToString(i), Item: i)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Item)];
                }

                return new JsonArray([.. items]);
            case JsonObject obj:
                return new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, Normalise(comparator, p.Value))));
            default:
                return node.DeepClone();
        }
    }

    private static decimal? Number(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<decimal>(out var d) ? d
        : value.TryGetValue<int>(out var i) ? i
        : value.TryGetValue<long>(out var l) ? l
        : value.TryGetValue<double>(out var f) && double.IsFinite(f) && Math.Abs(f) < 7.9e28 ? (decimal)f
        : null;

    private static bool LooksLikeJson(string text)
    {
        var trimmed = text.AsSpan().TrimStart();
        return trimmed.Length > 0 && (trimmed[0] == '{' || trimmed[0] == '[');
    }
}
