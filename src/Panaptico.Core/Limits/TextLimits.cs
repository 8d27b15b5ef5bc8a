namespace Panaptico.Core.Limits;

/// <summary>
/// The longest text each kind of field may hold, in characters (UTF-16 code units). One table, so the domain's
/// decisions and the API's request checks refuse the same text: prose a person writes (a rationale, a reason, a note,
/// a context pack's paragraphs, a runbook instruction), titles, and every other text (ids, names, metrics, units,
/// connectors, hashes, tags, keys). Values inside free-form maps (a runbook step's expected or observed state, an
/// evidence check's field values) have their own, longer limit.
/// </summary>
public static class TextLimits
{
    /// <summary>Rationale, reason, note, context-pack paragraphs, runbook instructions and expected text.</summary>
    public const int Prose = 4_000;

    /// <summary>Titles of plans, waves, tasks, requirements and runbook steps.</summary>
    public const int Title = 200;

    /// <summary>Every other text: ids, names, metrics, units, connectors, hashes, tags, map keys.</summary>
    public const int Name = 200;

    /// <summary>A value inside a free-form map (observed or expected state, an evidence check's field values).</summary>
    public const int Value = 1_000;

    /// <summary>JSON members whose text is prose.</summary>
    public static readonly IReadOnlySet<string> ProseMembers = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "rationale", "reason", "note", "impact", "workloadDiff", "postureScope", "reversalTrigger", "instruction", "expectedText",
    };

    /// <summary>JSON members whose text is a title.</summary>
    public static readonly IReadOnlySet<string> TitleMembers = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "title" };

    /// <summary>JSON members that are free-form maps: their values take <see cref="Value"/>, their keys <see cref="Name"/>.</summary>
    public static readonly IReadOnlySet<string> MapMembers = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "expected", "observed", "fieldEquals",
    };

    /// <summary>The limit of a JSON member's text by the member's name.</summary>
    public static int OfMember(string member) =>
        ProseMembers.Contains(member) ? Prose : TitleMembers.Contains(member) ? Title : Name;

    /// <summary>Why <paramref name="value"/> is too long for <paramref name="field"/>; null when it fits (or is absent).</summary>
    public static string? TooLong(string field, string? value, int limit) =>
        value is not null && value.Length > limit
            ? $"{field} is {value.Length} characters long; at most {limit} are allowed"
            : null;
}
