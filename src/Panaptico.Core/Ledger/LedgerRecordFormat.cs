using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Panaptico.Core.Canonical;

namespace Panaptico.Core.Ledger;

/// <summary>
/// The one on-disk shape of a ledger record: RFC 8785 canonical JSON with all nine fields always present
/// (<c>null</c>, never omitted). <c>hash</c> is SHA-256 (lowercase hex) over the canonical JSON of the other eight;
/// the full canonical record is the Merkle leaf.
/// </summary>
public static class LedgerRecordFormat
{
    /// <summary>UTC with 100 ns precision and a fixed width, so times compare as text too.</summary>
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    /// <summary>Records carry references, not payloads: one canonical record stays well inside a Table string property.</summary>
    public const int MaxRecordBytes = 30_000;

    /// <summary>Field names in the record's declared order (CSV header order).</summary>
    public static readonly IReadOnlyList<string> FieldOrder = ["seq", "at", "stream", "kind", "subject", "actor", "data", "prev", "hash"];

    public static string FormatTime(DateTimeOffset at) => at.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public static bool TryParseTime(string text, out DateTimeOffset at)
    {
        if (text.Length == 28 && DateTime.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var utc))
        {
            at = new DateTimeOffset(utc, TimeSpan.Zero);
            return true;
        }

        at = default;
        return false;
    }

    /// <summary>Turns an entry into the record at <paramref name="seq"/>, computing its hash.</summary>
    public static LedgerRecord Seal(long seq, DateTimeOffset at, LedgerEntry entry, string? prev)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        if (prev is not null && !ContentHash.IsSha256Hex(prev))
        {
            throw new ArgumentException("prev must be a lowercase hex SHA-256 or null.", nameof(prev));
        }

        var unsealed = new LedgerRecord(seq, new DateTimeOffset(at.UtcTicks, TimeSpan.Zero), entry.Stream, entry.Kind,
            entry.Subject, entry.Actor, entry.Data, prev, "");
        return unsealed with { Hash = ComputeHash(unsealed) };
    }

    /// <summary>The hash the record should carry: SHA-256 over the canonical JSON of every field but <c>hash</c>.</summary>
    public static string ComputeHash(LedgerRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(record, buffer, includeHash: false);
        return ContentHash.Sha256Hex(buffer.WrittenSpan);
    }

    /// <summary>The record's canonical JSON: the export line and the Merkle leaf.</summary>
    public static byte[] CanonicalBytes(LedgerRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(record, buffer, includeHash: true);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes canonical JSON directly (members already in RFC 8785 order), avoiding a JsonObject per record.</summary>
    public static void Write(LedgerRecord record, IBufferWriter<byte> output, bool includeHash)
    {
        ArgumentNullException.ThrowIfNull(record);
        // Sorted by UTF-16 code units: actor, at, data, hash, kind, prev, seq, stream, subject.
        output.Write("{\"actor\":"u8);
        CanonicalJson.WriteString(record.Actor, output);
        output.Write(",\"at\":"u8);
        CanonicalJson.WriteString(FormatTime(record.At), output);
        output.Write(",\"data\":"u8);
        CanonicalJson.Write(record.Data, output);
        if (includeHash)
        {
            output.Write(",\"hash\":"u8);
            CanonicalJson.WriteString(record.Hash, output);
        }

        output.Write(",\"kind\":"u8);
        CanonicalJson.WriteString(record.Kind, output);
        output.Write(",\"prev\":"u8);
        if (record.Prev is null)
        {
            output.Write("null"u8);
        }
        else
        {
            CanonicalJson.WriteString(record.Prev, output);
        }

        output.Write(",\"seq\":"u8);
        CanonicalJson.WriteNumber(record.Seq, output);
        output.Write(",\"stream\":"u8);
        CanonicalJson.WriteString(record.Stream, output);
        output.Write(",\"subject\":"u8);
        CanonicalJson.WriteString(record.Subject, output);
        output.Write("}"u8);
    }

    /// <summary>The record as a JSON object with every field present, in declared order.</summary>
    public static JsonObject ToJson(LedgerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new JsonObject
        {
            ["seq"] = record.Seq,
            ["at"] = FormatTime(record.At),
            ["stream"] = record.Stream,
            ["kind"] = record.Kind,
            ["subject"] = record.Subject,
            ["actor"] = record.Actor,
            ["data"] = record.Data?.DeepClone(),
            ["prev"] = record.Prev,
            ["hash"] = record.Hash,
        };
    }

    /// <summary>Parses one record (any valid JSON layout); every field must be present with the right type.</summary>
    /// <exception cref="LedgerFormatException">The text is not a ledger record.</exception>
    public static LedgerRecord Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException ex)
        {
            throw new LedgerFormatException($"not valid JSON ({ex.Message})");
        }

        using (document)
        {
            var fields = ReadFields(document.RootElement);
            return new LedgerRecord(fields.Seq, fields.At, fields.Stream, fields.Kind, fields.Subject, fields.Actor,
                fields.Data.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(fields.Data.GetRawText())!.AsObject(),
                fields.Prev, fields.Hash);
        }
    }

    /// <summary>
    /// Checks one export line without building a <see cref="LedgerRecord"/>: shape, canonical form, and that
    /// <c>hash</c> is the hash of the other fields. Fast path for streaming verification.
    /// </summary>
    public static LineCheck CheckLine(ReadOnlySpan<byte> line, ArrayBufferWriter<byte> scratch)
    {
        ArgumentNullException.ThrowIfNull(scratch);
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(line);
            document = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != line.Length)
            {
                return LineCheck.Fail(null, "trailing bytes after the record");
            }
        }
        catch (JsonException ex)
        {
            return LineCheck.Fail(null, $"not valid JSON ({FirstSentence(ex.Message)})");
        }

        using (document)
        {
            RecordFields fields;
            try
            {
                fields = ReadFields(document.RootElement);
            }
            catch (LedgerFormatException ex)
            {
                return LineCheck.Fail(TryReadSeq(document.RootElement), ex.Message);
            }

            scratch.ResetWrittenCount();
            try
            {
                CanonicalJson.Write(document.RootElement, scratch);
            }
            catch (JsonException ex)
            {
                return LineCheck.Fail(fields.Seq, ex.Message);
            }

            if (!scratch.WrittenSpan.SequenceEqual(line))
            {
                return LineCheck.Fail(fields.Seq, "record is not in canonical JSON form (bytes altered)");
            }

            // In canonical form the top-level "hash" member is the last `,"hash":"` (data sorts before it, and the
            // members after it are strings without bare quotes and a number): cut it out to get the hash input.
            var at = line.LastIndexOf(",\"hash\":\""u8);
            var hashMember = at + 1;
            const int hashMemberLength = 8 + 64 + 2; // "hash":" + 64 hex + ",
            var inputLength = line.Length - hashMemberLength;
            var input = ArrayPool<byte>.Shared.Rent(inputLength);
            Span<byte> digest = stackalloc byte[32];
            Span<char> hex = stackalloc char[64];
            try
            {
                line[..hashMember].CopyTo(input);
                line[(hashMember + hashMemberLength)..].CopyTo(input.AsSpan(hashMember));
                SHA256.HashData(input.AsSpan(0, inputLength), digest);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(input);
            }

            Convert.TryToHexStringLower(digest, hex, out _);
            return hex.SequenceEqual(fields.Hash)
                ? LineCheck.Pass(fields.Seq, fields.At, fields.Prev, fields.Hash)
                : LineCheck.Fail(fields.Seq, "hash does not match the record's content (record altered)");
        }
    }

    private static long? TryReadSeq(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("seq", out var s) && s.TryGetInt64(out var v) ? v : null;

    private static string FirstSentence(string message)
    {
        var dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }

    private readonly record struct RecordFields(
        long Seq, DateTimeOffset At, string Stream, string Kind, string Subject, string Actor, JsonElement Data, string? Prev, string Hash);

    private static RecordFields ReadFields(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new LedgerFormatException("a record must be a JSON object");
        }

        // One pass, names compared as UTF-8: this runs a million times when an export is verified.
        Span<JsonElement> slots = new JsonElement[9];
        var seen = 0;
        foreach (var property in root.EnumerateObject())
        {
            var slot = property.NameEquals("seq"u8) ? 0
                : property.NameEquals("at"u8) ? 1
                : property.NameEquals("stream"u8) ? 2
                : property.NameEquals("kind"u8) ? 3
                : property.NameEquals("subject"u8) ? 4
                : property.NameEquals("actor"u8) ? 5
                : property.NameEquals("data"u8) ? 6
                : property.NameEquals("prev"u8) ? 7
                : property.NameEquals("hash"u8) ? 8
                : throw new LedgerFormatException($"unexpected field '{property.Name}'");
            if ((seen & (1 << slot)) != 0)
            {
                throw new LedgerFormatException($"field '{property.Name}' appears twice");
            }

            seen |= 1 << slot;
            slots[slot] = property.Value;
        }

        for (var i = 0; i < FieldOrder.Count; i++)
        {
            if ((seen & (1 << i)) == 0)
            {
                throw new LedgerFormatException($"field '{FieldOrder[i]}' is missing (fields are never omitted)");
            }
        }

        var seqElement = slots[0];
        if (seqElement.ValueKind != JsonValueKind.Number || !seqElement.TryGetInt64(out var seq) || seq < 0)
        {
            throw new LedgerFormatException("seq must be a non-negative integer");
        }

        var atText = RequireString(slots[1], "at");
        if (!TryParseTime(atText, out var at))
        {
            throw new LedgerFormatException($"at '{atText}' is not UTC in the form {TimeFormat}");
        }

        var data = slots[6];
        if (data.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            throw new LedgerFormatException("data must be an object or null");
        }

        var prevElement = slots[7];
        string? prev = null;
        if (prevElement.ValueKind == JsonValueKind.String)
        {
            prev = prevElement.GetString();
            if (!ContentHash.IsSha256Hex(prev))
            {
                throw new LedgerFormatException("prev must be a lowercase hex SHA-256 or null");
            }
        }
        else if (prevElement.ValueKind != JsonValueKind.Null)
        {
            throw new LedgerFormatException("prev must be a string or null");
        }

        var hash = RequireString(slots[8], "hash");
        if (!ContentHash.IsSha256Hex(hash))
        {
            throw new LedgerFormatException("hash must be a lowercase hex SHA-256");
        }

        return new RecordFields(seq, at, RequireString(slots[2], "stream"), RequireString(slots[3], "kind"),
            RequireString(slots[4], "subject"), RequireString(slots[5], "actor"), data, prev, hash);
    }

    private static string RequireString(JsonElement element, string name)
    {
        return element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new LedgerFormatException($"{name} must be a string");
    }

    /// <summary>Outcome of <see cref="CheckLine"/>. <see cref="Seq"/> is null when the line is too broken to read it.</summary>
    public readonly record struct LineCheck(bool Ok, long? Seq, DateTimeOffset At, string? Prev, string? Hash, string? Reason)
    {
        public static LineCheck Pass(long seq, DateTimeOffset at, string? prev, string hash) => new(true, seq, at, prev, hash, null);

        public static LineCheck Fail(long? seq, string reason) => new(false, seq, default, null, null, reason);
    }
}

/// <summary>Text that should be a ledger record is not one; the message says why.</summary>
public sealed class LedgerFormatException(string message) : Exception(message)
{
    public LedgerFormatException()
        : this("not a ledger record")
    {
    }

    public LedgerFormatException(string message, Exception innerException)
        : this(message + ": " + innerException?.Message)
    {
    }
}
