using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Panaptico.Core.Remediation.Tickets;

/// <summary>
/// A change record id, <c>CHG-YYYY-MMDD-NNN</c>: the UTC day it opened and that day's sequence number.
/// The sequence comes from the caller (a storage counter per day makes it unique under concurrency);
/// it is at least three digits and grows past 999 if a day needs it.
/// </summary>
[JsonConverter(typeof(ChangeIdJsonConverter))]
public readonly partial record struct ChangeId
{
    public ChangeId(DateOnly day, int sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequence);
        if (day.Year is < 1000 or > 9999)
        {
            throw new ArgumentOutOfRangeException(nameof(day), day, "year must have four digits");
        }
        Day = day;
        Sequence = sequence;
    }

    public DateOnly Day { get; }

    public int Sequence { get; }

    /// <summary>The id for the <paramref name="sequence"/>-th change opened on the UTC day of <paramref name="at"/>.</summary>
    public static ChangeId For(DateTimeOffset at, int sequence) => new(DateOnly.FromDateTime(at.UtcDateTime), sequence);

    public static bool TryParse(string? text, [NotNullWhen(true)] out ChangeId? id)
    {
        id = null;
        var match = text is null ? Match.Empty : Shape().Match(text);
        if (!match.Success
            || !DateOnly.TryParseExact(match.Groups["day"].Value, "yyyy-MMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            || !int.TryParse(match.Groups["seq"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || sequence == 0)
        {
            return false;
        }
        id = new ChangeId(day, sequence);
        return true;
    }

    public static ChangeId Parse(string text) =>
        TryParse(text, out var id) ? id.Value : throw new FormatException($"'{text}' is not a change id (CHG-YYYY-MMDD-NNN)");

    public override string ToString() => $"CHG-{Day:yyyy-MMdd}-{Sequence:D3}";

    // Leading zeros only to pad to three digits, so every id has exactly one spelling.
    [GeneratedRegex(@"^CHG-(?<day>\d{4}-\d{4})-(?<seq>\d{3}|[1-9]\d{3,8})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}

public sealed class ChangeIdJsonConverter : JsonConverter<ChangeId>
{
    public override ChangeId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ChangeId.TryParse(reader.GetString(), out var id) ? id.Value : throw new JsonException("not a change id");

    public override void Write(Utf8JsonWriter writer, ChangeId value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
