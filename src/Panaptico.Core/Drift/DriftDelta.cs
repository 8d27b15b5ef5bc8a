using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>Where a drifted value sits against its field's envelope.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EnvelopeVerdict>))]
public enum EnvelopeVerdict
{
    /// <summary>The field has no envelope.</summary>
    None,
    Inside,
    Outside,
}

/// <summary>One field of one object and the key drift memory keeps it under.</summary>
public readonly record struct FieldKey(string ObjectId, string Field)
{
    public override string ToString() => $"{ObjectId}#{Field}";
}

/// <summary>
/// One field whose live value differs from intent, as the comparator sees it.
/// </summary>
/// <param name="Live">The live value; null with <paramref name="LiveAbsent"/> when the object lacks the field.</param>
/// <param name="FirstSeen">The sweep that first saw this value.</param>
/// <param name="ChangedAfter">The previous sweep's time: the change happened after it (null on a first sweep).</param>
/// <param name="ValueKey">The canonical form of <paramref name="Live"/> (a hash when long): drift is de-duplicated on it.</param>
public sealed record DriftDelta(
    string ObjectId,
    string Field,
    IntendedValue Intended,
    JsonNode? Live,
    bool LiveAbsent,
    Comparator Comparator,
    EnvelopeVerdict Envelope,
    DateTimeOffset FirstSeen,
    DateTimeOffset? ChangedAfter,
    string ValueKey)
{
    public FieldKey Key => new(ObjectId, Field);

    /// <summary>The field carries an intent contract: any drift of it breaks the contract.</summary>
    public bool ContractBroken => Intended.Contract is not null;

    public string Render() => $"{ObjectId} {Field}: intended {DriftJson.Show(Intended.Value)}, live {(LiveAbsent ? "absent" : DriftJson.Show(Live))}";
}
