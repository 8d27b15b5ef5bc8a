using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Panaptico.Core.Drift;

/// <summary>Where a remembered drift stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RememberedStatus>))]
public enum RememberedStatus
{
    /// <summary>Found, not yet attributed; re-attributed each sweep until its settle time.</summary>
    Pending,

    /// <summary>Attributed (or declared unknown) and classified: not reported again until its value changes.</summary>
    Reported,
}

/// <summary>One drifted field the sweeps remember, with the live value it was reported at.</summary>
public sealed record RememberedDrift(
    string ObjectId,
    string Field,
    string ValueKey,
    DateTimeOffset FirstSeen,
    DateTimeOffset? ChangedAfter,
    RememberedStatus Status,
    DateTimeOffset? SettleAt)
{
    public FieldKey Key => new(ObjectId, Field);
}

/// <summary>
/// What the previous sweeps left: every field still drifted, and whether it was reported. A sweep takes the memory
/// of the one before and returns the next; storing it (with an ETag) is what keeps overlapping sweeps from reporting
/// the same drift twice. A field that matches intent again is forgotten, so a later drift of it is new.
/// </summary>
public sealed class DriftMemory
{
    private readonly Dictionary<FieldKey, RememberedDrift> _entries;

    public DriftMemory(DateTimeOffset? lastSweepAt, IEnumerable<RememberedDrift> entries)
    {
        LastSweepAt = lastSweepAt;
        _entries = entries.ToDictionary(e => e.Key);
    }

    public static DriftMemory Empty { get; } = new(null, []);

    /// <summary>The time of the sweep that produced this memory.</summary>
    public DateTimeOffset? LastSweepAt { get; }

    public IReadOnlyCollection<RememberedDrift> Entries => _entries.Values;

    public int Count => _entries.Count;

    public RememberedDrift? Find(FieldKey key) => _entries.GetValueOrDefault(key);

    public RememberedDrift? Find(string objectId, string field) => Find(new FieldKey(objectId, field));

    internal IEnumerable<RememberedDrift> ForObjectsNotIn(IReadOnlyDictionary<string, LiveObject> read) =>
        _entries.Values.Where(e => !read.ContainsKey(e.ObjectId));
}
