using System.Runtime.InteropServices;

namespace Panaptico.Core.Drift;

/// <summary>
/// The source records of the attribution horizon, indexed for the joins: by correlation id (in arrival order), by
/// object (sorted by time), Terraform runs by workspace and change records by object (sorted by window start). Each
/// lookup is a dictionary hit and a binary search, never a scan of every record. Records of equal time keep their
/// arrival order, so "the latest" is the same record whichever way the index was built.
/// </summary>
public sealed class SourceIndex
{
    private readonly Groups _byCorrelation;
    private readonly Groups _byObject;
    private readonly Groups _runsByWorkspace;
    private readonly Groups _changesByObject;
    private readonly long _longestRun;
    private readonly long _longestChange;

    private SourceIndex(IReadOnlyCollection<SourceEvent> events)
    {
        Count = events.Count;

        // Sized up front: a day of records fills each grouping once, without growing its lists and dictionary.
        int correlated = 0, runCount = 0, changeNames = 0, touchNames = 0;
        foreach (var e in events)
        {
            correlated += e.CorrelationId is { Length: > 0 } ? 1 : 0;
            switch (e.Kind)
            {
                case SourceKind.TerraformRun: runCount++; break;
                case SourceKind.ChangeRecord: changeNames += e.Objects.Length; break;
                default: touchNames += e.Objects.Length; break;
            }
        }

        var byCorrelation = new Grouping(correlated);
        var byObject = new Grouping(touchNames);
        var runs = new Grouping(runCount);
        var changes = new Grouping(changeNames);
        foreach (var e in events)
        {
            if (e.CorrelationId is { Length: > 0 } correlation)
            {
                byCorrelation.Add(correlation, e);
            }

            switch (e.Kind)
            {
                case SourceKind.TerraformRun:
                    if (e.Workspace is { } workspace && e.Succeeded)
                    {
                        runs.Add(workspace, e);
                        _longestRun = Math.Max(_longestRun, EndTicks(e) - StartTicks(e));
                    }

                    break;
                case SourceKind.ChangeRecord:
                    foreach (var obj in e.Objects)
                    {
                        changes.Add(obj, e);
                    }

                    _longestChange = Math.Max(_longestChange, EndTicks(e) - StartTicks(e));
                    break;
                default:
                    if (e.Succeeded)
                    {
                        foreach (var obj in e.Objects)
                        {
                            byObject.Add(obj, e);
                        }
                    }

                    break;
            }
        }

        _byCorrelation = byCorrelation.Build(null);
        _byObject = byObject.Build(static e => e.At.UtcTicks);
        _runsByWorkspace = runs.Build(StartTicks);
        _changesByObject = changes.Build(StartTicks);
    }

    public static SourceIndex Empty { get; } = new([]);

    public int Count { get; }

    public static SourceIndex Build(IEnumerable<SourceEvent> events) => new(events as IReadOnlyCollection<SourceEvent> ?? [.. events]);

    /// <summary>Records that share a correlation id (Resource Graph ↔ Activity Log ↔ Event Grid), in arrival order.</summary>
    public ReadOnlySpan<SourceEvent> Correlated(string? correlationId) =>
        correlationId is { Length: > 0 } ? _byCorrelation.Of(correlationId) : [];

    /// <summary>Records naming <paramref name="objectRef"/> with <c>from ≤ At ≤ to</c>, oldest first (change records and runs excluded).</summary>
    public ReadOnlySpan<SourceEvent> Touching(string objectRef, DateTimeOffset from, DateTimeOffset to)
    {
        var (start, length) = _byObject.Find(objectRef);
        var times = _byObject.Keys.AsSpan(start, length);
        var first = LowerBound(times, from.UtcTicks);
        var end = LowerBound(times, to.UtcTicks + 1);
        return _byObject.Events.AsSpan(start + first, end - first);
    }

    /// <summary>Runs in <paramref name="workspace"/> whose [applying-at − before, applied-at + after] contains some instant of [from, to].</summary>
    public Overlaps RunsSpanning(string workspace, DateTimeOffset from, DateTimeOffset to, TimeSpan before, TimeSpan after) =>
        Overlapping(_runsByWorkspace, workspace, _longestRun, from, to, before, after);

    /// <summary>Change records naming <paramref name="objectRef"/> whose window ± <paramref name="margin"/> meets [from, to].</summary>
    public Overlaps ChangesNaming(string objectRef, DateTimeOffset from, DateTimeOffset to, TimeSpan margin) =>
        Overlapping(_changesByObject, objectRef, _longestChange, from, to, margin, margin);

    private static DateTimeOffset Start(SourceEvent e) => e.WindowStart ?? e.At;

    private static DateTimeOffset End(SourceEvent e) => e.WindowEnd is { } end && end > Start(e) ? end : Start(e) > e.At ? Start(e) : e.At;

    private static long StartTicks(SourceEvent e) => Start(e).UtcTicks;

    private static long EndTicks(SourceEvent e) => End(e).UtcTicks;

    private static Overlaps Overlapping(Groups index, string key, long longest, DateTimeOffset from, DateTimeOffset to, TimeSpan before, TimeSpan after)
    {
        // Sorted by start: an interval meeting [from, to] starts at or after from − after − longest, and at or before to + before.
        var (start, length) = index.Find(key);
        var starts = index.Keys.AsSpan(start, length);
        var first = LowerBound(starts, from.UtcTicks - after.Ticks - longest);
        var end = LowerBound(starts, to.UtcTicks + before.Ticks + 1);
        return new Overlaps(index.Events.AsSpan(start + first, Math.Max(end - first, 0)), from.UtcTicks - after.Ticks);
    }

    /// <summary>The first index whose key is ≥ <paramref name="at"/>.</summary>
    private static int LowerBound(ReadOnlySpan<long> sorted, long at)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < at)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The candidates of an overlap query that end late enough (each a record whose end ≥ the query's from − after).</summary>
    public readonly ref struct Overlaps(ReadOnlySpan<SourceEvent> candidates, long endsFrom)
    {
        private readonly ReadOnlySpan<SourceEvent> _candidates = candidates;

        public Enumerator GetEnumerator() => new(_candidates, endsFrom);

        public ref struct Enumerator(ReadOnlySpan<SourceEvent> candidates, long endsFrom)
        {
            private readonly ReadOnlySpan<SourceEvent> _candidates = candidates;
            private int _index = -1;

            public readonly SourceEvent Current => _candidates[_index];

            public bool MoveNext()
            {
                while (++_index < _candidates.Length)
                {
                    if (EndTicks(_candidates[_index]) >= endsFrom)
                    {
                        return true;
                    }
                }

                return false;
            }
        }
    }

    /// <summary>Records grouped by a key (case-insensitive) in one array, each group contiguous and ordered by <see cref="Keys"/>.</summary>
    private sealed class Groups(Dictionary<string, int> ids, int[] bounds, SourceEvent[] events, long[] keys)
    {
        public SourceEvent[] Events { get; } = events;

        /// <summary>The time each record is ordered by in its group (UTC ticks); empty when the groups keep arrival order.</summary>
        public long[] Keys { get; } = keys;

        public (int Start, int Length) Find(string key) => ids.TryGetValue(key, out var group) ? (bounds[group], bounds[group + 1] - bounds[group]) : (0, 0);

        public ReadOnlySpan<SourceEvent> Of(string key)
        {
            var (start, length) = Find(key);
            return Events.AsSpan(start, length);
        }
    }

    /// <summary>Collects (key, record) pairs, then lays the groups out in one array: two passes, no list per key.</summary>
    private sealed class Grouping(int capacity)
    {
        private readonly Dictionary<string, int> _ids = new(capacity, StringComparer.OrdinalIgnoreCase);
        private readonly List<SourceEvent?> _last = new(capacity);
        private readonly List<int> _counts = new(capacity);
        private readonly List<(int Group, SourceEvent Event)> _members = new(capacity);

        /// <summary>Adds <paramref name="e"/> under <paramref name="key"/>, once however many of its names map to the key.</summary>
        public void Add(string key, SourceEvent e)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, key, out var exists);
            if (!exists)
            {
                id = _counts.Count;
                _counts.Add(0);
                _last.Add(null);
            }

            if (ReferenceEquals(_last[id], e))
            {
                return;
            }

            _last[id] = e;
            _counts[id]++;
            _members.Add((id, e));
        }

        public Groups Build(Func<SourceEvent, long>? orderBy)
        {
            var bounds = new int[_counts.Count + 1];
            for (var g = 0; g < _counts.Count; g++)
            {
                bounds[g + 1] = bounds[g] + _counts[g];
            }

            var events = new SourceEvent[_members.Count];
            var keys = orderBy is null ? [] : new long[_members.Count];
            var next = bounds[..^1];
            foreach (var (group, e) in _members)
            {
                var at = next[group]++;
                events[at] = e;
                if (orderBy is not null)
                {
                    keys[at] = orderBy(e);
                }
            }

            if (orderBy is not null)
            {
                for (var g = 0; g < _counts.Count; g++)
                {
                    SortStable(keys.AsSpan(bounds[g], _counts[g]), events.AsSpan(bounds[g], _counts[g]));
                }
            }

            return new Groups(_ids, bounds, events, keys);
        }

        /// <summary>Sorts a group by time, equal times in arrival order; most groups arrive sorted and cost one pass.</summary>
        private static void SortStable(Span<long> keys, Span<SourceEvent> events)
        {
            var sorted = true;
            for (var i = 1; i < keys.Length && sorted; i++)
            {
                sorted = keys[i - 1] <= keys[i];
            }

            if (sorted)
            {
                return;
            }

            var order = new (long Key, int Arrival)[keys.Length];
            for (var i = 0; i < order.Length; i++)
            {
                order[i] = (keys[i], i);
            }

            var copy = events.ToArray();
            order.AsSpan().Sort();
            for (var i = 0; i < order.Length; i++)
            {
                keys[i] = order[i].Key;
                events[i] = copy[order[i].Arrival];
            }
        }
    }
}
