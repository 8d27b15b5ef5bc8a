using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Panaptico.Core.Canonical;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS): the one byte form that everything we hash or sign is written in.
/// Object members sorted by their names' UTF-16 code units, no whitespace, ECMAScript number formatting,
/// minimal string escaping, output UTF-8.
/// </summary>
/// <remarks>
/// Hand-written because no JCS package is available here. As the RFC requires, every number is an IEEE-754 double:
/// integers beyond 2^53 lose precision; NaN and infinities, lone surrogates and duplicate names are rejected.
/// </remarks>
public static class CanonicalJson
{
    private static readonly byte[] s_null = "null"u8.ToArray();
    private static readonly byte[] s_true = "true"u8.ToArray();
    private static readonly byte[] s_false = "false"u8.ToArray();

    /// <summary>Canonical UTF-8 bytes of a node (<c>null</c> writes the JSON literal <c>null</c>).</summary>
    public static byte[] Serialize(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(node, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Canonical UTF-8 bytes of an element.</summary>
    public static byte[] Serialize(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(element, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses any JSON text and returns its canonical form.</summary>
    /// <exception cref="JsonException">The input is not JSON, or breaks I-JSON (duplicate names, lone surrogates).</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        using var document = JsonDocument.ParseValue(ref reader);
        return Serialize(document.RootElement);
    }

    /// <summary>Canonical bytes of any value System.Text.Json can serialize (records, dictionaries, …).</summary>
    public static byte[] SerializeValue<T>(T value, JsonSerializerOptions? options = null) =>
        Serialize(JsonSerializer.SerializeToElement(value, options));

    /// <summary>The canonical form as a .NET string (for CSV cells, messages); hash the bytes, not this.</summary>
    public static string SerializeToString(JsonNode? node) => Encoding.UTF8.GetString(Serialize(node));

    public static void Write(JsonNode? node, IBufferWriter<byte> output)
    {
        switch (node)
        {
            case null:
                output.Write(s_null);
                break;
            case JsonObject obj:
                WriteObject(obj, output);
                break;
            case JsonArray array:
                output.Write("["u8);
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Write(","u8);
                    }

                    Write(array[i], output);
                }

                output.Write("]"u8);
                break;
            case JsonValue value:
                WriteValue(value, output);
                break;
            default:
                throw new JsonException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    public static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                output.Write(s_null);
                break;
            case JsonValueKind.True:
                output.Write(s_true);
                break;
            case JsonValueKind.False:
                output.Write(s_false);
                break;
            case JsonValueKind.Number:
                WriteNumber(ParseNumber(element), output);
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    Write(item, output);
                }

                output.Write("]"u8);
                break;
            case JsonValueKind.Object:
                // Read each name once (JsonProperty.Name decodes on every access), then sort.
                var members = new List<KeyValuePair<string, JsonElement>>();
                foreach (var property in element.EnumerateObject())
                {
                    members.Add(new(property.Name, property.Value));
                }

                members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                output.Write("{"u8);
                for (var i = 0; i < members.Count; i++)
                {
                    if (i > 0)
                    {
                        if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
                        {
                            throw new JsonException($"Duplicate member name '{members[i].Key}' (I-JSON forbids it).");
                        }

                        output.Write(","u8);
                    }

                    WriteString(members[i].Key, output);
                    output.Write(":"u8);
                    Write(members[i].Value, output);
                }

                output.Write("}"u8);
                break;
            default:
                throw new JsonException($"Cannot canonicalize a JSON value of kind {element.ValueKind}.");
        }
    }

    private static void WriteObject(JsonObject obj, IBufferWriter<byte> output)
    {
        var members = new KeyValuePair<string, JsonNode?>[obj.Count];
        var n = 0;
        foreach (var member in obj)
        {
            members[n++] = member;
        }

        // Ordinal comparison of .NET strings is exactly RFC 8785's order: UTF-16 code units, unsigned.
        Array.Sort(members, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        output.Write("{"u8);
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                output.Write(","u8);
            }

            WriteString(members[i].Key, output);
            output.Write(":"u8);
            Write(members[i].Value, output);
        }

        output.Write("}"u8);
    }

    private static void WriteValue(JsonValue value, IBufferWriter<byte> output)
    {
        // A JsonValue may wrap a parsed JsonElement or any CLR value; fast paths for the common ones.
        if (value.TryGetValue<JsonElement>(out var element))
        {
            Write(element, output);
            return;
        }

        if (value.TryGetValue<string>(out var s))
        {
            WriteString(s, output);
            return;
        }

        if (value.TryGetValue<bool>(out var b))
        {
            output.Write(b ? s_true : s_false);
            return;
        }

        if (value.TryGetValue<long>(out var l))
        {
            WriteNumber(l, output);
            return;
        }

        if (value.TryGetValue<int>(out var i))
        {
            WriteNumber(i, output);
            return;
        }

        if (value.TryGetValue<double>(out var d))
        {
            WriteNumber(d, output);
            return;
        }

        // Anything else (decimal, DateTimeOffset, Guid, enums…) goes through its System.Text.Json form.
        Write(JsonSerializer.SerializeToElement(value), output);
    }

    private static double ParseNumber(JsonElement element)
    {
        // Parse the literal as a double (round-to-nearest), as ECMAScript's JSON.parse does.
        var text = element.GetRawText();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new JsonException($"Number '{text}' is not representable as a finite IEEE-754 double.");
        }

        return value;
    }

    /// <summary>Writes a double as ECMAScript's Number.prototype.toString does (RFC 8785 §3.2.2.3).</summary>
    public static void WriteNumber(double value, IBufferWriter<byte> output)
    {
        if (!double.IsFinite(value))
        {
            throw new JsonException("NaN and Infinity have no JSON form.");
        }

        if (value == 0)
        {
            output.Write("0"u8); // also -0
            return;
        }

        // .NET's "R" gives the shortest round-tripping digits, like ECMAScript; only the layout differs.
        Span<char> raw = stackalloc char[32];
        value.TryFormat(raw, out var rawLength, "R", CultureInfo.InvariantCulture);
        raw = raw[..rawLength];

        var negative = raw[0] == '-';
        if (negative)
        {
            raw = raw[1..];
        }

        var exponentAt = raw.IndexOfAny('E', 'e');
        var mantissa = exponentAt >= 0 ? raw[..exponentAt] : raw;
        var exponent = exponentAt >= 0 ? int.Parse(raw[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;

        // digits = significant digits without the point; n = position of the decimal point relative to them.
        Span<char> digits = stackalloc char[32];
        var k = 0;
        var pointAt = -1;
        foreach (var c in mantissa)
        {
            if (c == '.')
            {
                pointAt = k;
            }
            else
            {
                digits[k++] = c;
            }
        }

        var n = (pointAt < 0 ? k : pointAt) + exponent;

        // Strip leading zeros (e.g. "0.001") and trailing zeros.
        var start = 0;
        while (start < k - 1 && digits[start] == '0')
        {
            start++;
            n--;
        }

        var end = k;
        while (end > start + 1 && digits[end - 1] == '0')
        {
            end--;
        }

        var d = digits[start..end];
        k = d.Length;

        Span<char> text = stackalloc char[40];
        var t = 0;
        if (negative)
        {
            text[t++] = '-';
        }

        if (k <= n && n <= 21)
        {
            d.CopyTo(text[t..]);
            t += k;
            for (var z = 0; z < n - k; z++)
            {
                text[t++] = '0';
            }
        }
        else if (0 < n && n <= 21)
        {
            d[..n].CopyTo(text[t..]);
            t += n;
            text[t++] = '.';
            d[n..].CopyTo(text[t..]);
            t += k - n;
        }
        else if (-6 < n && n <= 0)
        {
            text[t++] = '0';
            text[t++] = '.';
            for (var z = 0; z < -n; z++)
            {
                text[t++] = '0';
            }

            d.CopyTo(text[t..]);
            t += k;
        }
        else
        {
            text[t++] = d[0];
            if (k > 1)
            {
                text[t++] = '.';
                d[1..].CopyTo(text[t..]);
                t += k - 1;
            }

            text[t++] = 'e';
            var e = n - 1;
            text[t++] = e < 0 ? '-' : '+';
            e.TryFormat(text[t..], out var written, default, CultureInfo.InvariantCulture);
            if (e < 0)
            {
                // TryFormat wrote "-x"; drop its sign, we already have one.
                text.Slice(t + 1, written - 1).CopyTo(text[t..]);
                written--;
            }

            t += written;
        }

        var bytes = output.GetSpan(t);
        for (var i = 0; i < t; i++)
        {
            bytes[i] = (byte)text[i];
        }

        output.Advance(t);
    }

    /// <summary>Writes a JSON string with RFC 8785's minimal escaping.</summary>
    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        // Worst case: every char a 6-byte \u00XX escape, or 3 UTF-8 bytes; +2 for the quotes.
        var span = output.GetSpan((value.Length * 6) + 2);
        var p = 0;
        span[p++] = (byte)'"';
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c < 0x80)
            {
                switch (c)
                {
                    case '"':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'"';
                        break;
                    case '\\':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'\\';
                        break;
                    case '\b':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'b';
                        break;
                    case '\f':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'f';
                        break;
                    case '\n':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'n';
                        break;
                    case '\r':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'r';
                        break;
                    case '\t':
                        span[p++] = (byte)'\\';
                        span[p++] = (byte)'t';
                        break;
                    default:
                        if (c < 0x20)
                        {
                            span[p++] = (byte)'\\';
                            span[p++] = (byte)'u';
                            span[p++] = (byte)'0';
                            span[p++] = (byte)'0';
                            span[p++] = (byte)"0123456789abcdef"[c >> 4];
                            span[p++] = (byte)"0123456789abcdef"[c & 0xF];
                        }
                        else
                        {
                            span[p++] = (byte)c;
                        }

                        break;
                }
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                p += new Rune(c, value[++i]).EncodeToUtf8(span[p..]);
            }
            else if (char.IsSurrogate(c))
            {
                throw new JsonException($"Lone surrogate U+{(int)c:X4} in a string (I-JSON forbids it).");
            }
            else
            {
                p += new Rune(c).EncodeToUtf8(span[p..]);
            }
        }

        span[p++] = (byte)'"';
        output.Advance(p);
    }
}
