using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>Why a field is meant to hold its value: the record that set it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReasonKind>))]
public enum ReasonKind
{
    /// <summary>A change record (ours, e.g. CHG-2026-0418-114, or a ticket such as CHG-00604).</summary>
    ChangeRecord,

    /// <summary>A Terraform run that applied the value (run-…).</summary>
    TerraformRun,

    /// <summary>A signed decision record: changing the field needs the original approver again.</summary>
    DecisionRecord,

    /// <summary>An automatic re-baseline of an expected drift, naming its cause.</summary>
    Rebaseline,
}

/// <param name="Id">The record's id: CHG-…, run-…, DR-…, or the feed row a re-baseline came from.</param>
/// <param name="Detail">What people read beside the id (commit, approver, ticket title); optional.</param>
public sealed record ReasonOfRecord(ReasonKind Kind, string Id, string? Detail = null)
{
    public override string ToString() => Detail is null ? $"{DriftNames.Of(Kind)} {Id}" : $"{DriftNames.Of(Kind)} {Id} ({Detail})";
}

/// <summary>How live is compared with intent for one field.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Comparator>))]
public enum Comparator
{
    /// <summary>Same JSON value (object member order aside).</summary>
    Exact,

    /// <summary>Arrays compared as multisets: a reordered list is not drift.</summary>
    SetEqual,

    /// <summary>Strings holding JSON are parsed first, then compared canonically (numbers by value, members unordered).</summary>
    JsonNormalised,

    /// <summary>Strings compared ignoring case (host names, SKU names, UPNs).</summary>
    CaseInsensitive,
}

/// <summary>
/// The bounds inside which a deviation is "notable" rather than critical: a numeric range (<see cref="Min"/>/<see cref="Max"/>,
/// inclusive) or a list of allowed values (compared with the field's comparator).
/// </summary>
public sealed record Envelope(decimal? Min = null, decimal? Max = null, IReadOnlyList<JsonNode?>? Values = null);

/// <summary>An intent contract: any break of it is critical at once, without waiting for attribution to settle.</summary>
public sealed record IntentContract(string Id, string Text);

/// <summary>A field deliberately not reconciled, owned, until <see cref="Expires"/>; after that it is compared again.</summary>
public sealed record FieldIgnore(string Owner, string Reason, DateTimeOffset Expires)
{
    public bool StandsAt(DateTimeOffset at) => at < Expires;
}

/// <summary>One field's intended value and why it holds it, with how it is compared.</summary>
/// <param name="Value">The intended value; null means the field must be absent (JSON null).</param>
public sealed record IntendedValue(JsonNode? Value, ReasonOfRecord Reason)
{
    public Comparator Comparator { get; init; } = Comparator.Exact;

    public Envelope? Envelope { get; init; }

    public IntentContract? Contract { get; init; }

    public FieldIgnore? Ignore { get; init; }
}
