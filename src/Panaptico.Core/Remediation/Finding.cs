using System.Text.Json.Serialization;
using Panaptico.Core.Remediation.Assets;

namespace Panaptico.Core.Remediation;

/// <summary>One governed field of an asset and its value, in the one text form evidence, plans and checks share.</summary>
public sealed record FieldValue(string Field, string Value)
{
    public override string ToString() => $"{Field}: {Value}";
}

/// <summary>What the detector saw on a field, and the rule it broke.</summary>
public sealed record Observation(string Field, string Observed, string Requirement)
{
    public override string ToString() => $"{Field}: {Observed} (requires {Requirement})";
}

/// <summary>
/// A violation on one asset. <paramref name="State"/> is the asset as read, which the fix is planned from;
/// <paramref name="Tags"/> are the asset's effective tags (owner and production come from them).
/// </summary>
public sealed record Finding(
    string PatternId,
    AssetId Asset,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<Observation> Evidence,
    AssetState State,
    DateTimeOffset DetectedAt)
{
    /// <summary>At most one open change per pattern and asset: the key the chain deduplicates re-detections by.</summary>
    [JsonIgnore]
    public string OpenKey => $"{PatternId}|{Asset}";
}
