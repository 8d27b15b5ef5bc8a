namespace Panaptico.Core.Drift;

/// <summary>
/// The source records of the attribution horizon, indexed for the joins: by correlation id, by object (sorted by
/// time), Terraform runs by workspace and change records by object (sorted by window start). Each lookup is a
/// dictionary hit and a binary search, never a scan of every record.
/// </summary>
public sealed class SourceIndex
{
    private static readonly Comparison<SourceEvent> s_byTime = (a, b) => a.At.CompareTo(b.At);
    private static readonly Comparison<SourceEvent> s_byStart = (a, b) => Start(a).CompareTo(Start(b));

    private readonly Dictionary<string, List<SourceEvent>> _byCorrelation = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, SourceEvent[]> _byObject;
    private readonly Dictionary<string, SourceEvent[]> _runsByWorkspace;
    private readonly Dictionary<string, SourceEvent[]> _changesByObject;
    private readonly TimeSpan _longestRun;
    private readonly TimeSpan _longestChange;

    private SourceIndex(IReadOnlyCollection<SourceEvent> events)
    {
        Count = events.Count;
        var byObject = new Dictionary<string, List<SourceEvent>>(StringComparer.OrdinalIgnoreCase);
        var runs = new Dictionary<string, List<SourceEvent>>(StringComparer.OrdinalIgnoreCase);
        var changes = new Dictionary<string, List<SourceEvent>>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in events)
        {
            if (e.CorrelationId is { Length: > 0 } correlation)
            {
                Add(_byCorrelation, correlation, e);
            }

            switch (e.Kind)
            {
                case SourceKind.TerraformRun:
                    if (e.Workspace is { } workspace && e.Succeeded)
                    {
                        Add(runs, workspace, e);
                        _longestRun = Max(_longestRun, End(e) - Start(e));
                    }

                    break;
                case SourceKind.ChangeRecord:
                    foreach (var obj in e.Objects.Distinct(StringComparer.OrdinalIgnoreCase))
                    {
                        Add(changes, obj, e);
                    }

                    _longestChange = Max(_longestChange, End(e) - Start(e));
                    break;
                default:
                    if (e.Succeeded)
                    {
                        foreach (var obj in e.Objects.Distinct(StringComparer.OrdinalIgnoreCase))
                        {
                            Add(byObject, obj, e);
                        }
                    }

                    break;
            }
        }

        _byObject = Sorted(byObject, s_byTime);
        _runsByWorkspace = Sorted(runs, s_byStart);
        _changesByObject = Sorted(changes, s_byStart);
    }

    public static SourceIndex Empty { get; } = new([]);

    public int Count { get; }

    public static SourceIndex Build(IEnumerable<SourceEvent> events) => new(events as IReadOnlyCollection<SourceEvent> ?? [.. events]);

    /// <summary>Records that share a correlation id (Resource Graph ↔ Activity Log ↔ Event Grid).</summary>
    public IReadOnlyList<SourceEvent> Correlated(string? correlationId) =>
        correlationId is { Length: > 0 } && _byCorrelation.TryGetValue(correlationId, out var list) ? list : [];

    /// <summary>Records naming <paramref name="objectRef"/> with <c>from ≤ At ≤ to</c>, oldest first (change records and runs excluded).</summary>
    public IEnumerable<SourceEvent> Touching(string objectRef, DateTimeOffset from, DateTimeOffset to)
    {
        if (!_byObject.TryGetValue(objectRef, out var sorted))
        {
            yield break;
        }

        for (var i = LowerBound(sorted, from, e => e.At); i < sorted.Length && sorted[i].At <= to; i++)
        {
            yield return sorted[i];
        }
    }

    /// <summary>Runs in <paramref name="workspace"/> whose [applying-at − before, applied-at + after] contains some instant of [from, to].</summary>
    public IEnumerable<SourceEvent> RunsSpanning(string workspace, DateTimeOffset from, DateTimeOffset to, TimeSpan before, TimeSpan after) =>
        Overlapping(_runsByWorkspace, workspace, _longestRun, from, to, before, after);

    /// <summary>Change records naming <paramref name="objectRef"/> whose window ± <paramref name="margin"/> meets [from, to].</summary>
    public IEnumerable<SourceEvent> ChangesNaming(string objectRef, DateTimeOffset from, DateTimeOffset to, TimeSpan margin) =>
        Overlapping(_changesByObject, objectRef, _longestChange, from, to, margin, margin);

    internal static DateTimeOffset Start(SourceEvent e) => e.WindowStart ?? e.At;

    internal static DateTimeOffset End(SourceEvent e) => e.WindowEnd is { } end && end > Start(e) ? end : Start(e) > e.At ? Start(e) : e.At;

    private static IEnumerable<SourceEvent> Overlapping(Dictionary<string, SourceEvent[]> index, string key, TimeSpan longest, DateTimeOffset from, DateTimeOffset to, TimeSpan before, TimeSpan after)
    {
        if (!index.TryGetValue(key, out var sorted))
        {
            yield break;
        }

        // Sorted by start: an interval meeting [from, to] starts at or after from − after − longest, and at or before to + before.
        var first = LowerBound(sorted, from - after - longest, Start);
        for (var i = first; i < sorted.Length && Start(sorted[i]) - before <= to; i++)
        {
            if (End(sorted[i]) + after >= from)
            {
                yield return sorted[i];
            }
        }
    }

    private static int LowerBound(SourceEvent[] sorted, DateTimeOffset at, Func<SourceEvent, DateTimeOffset> key)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (key(sorted[mid]) < at)
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

    private static void Add(Dictionary<string, List<SourceEvent>> index, string key, SourceEvent e)
    {
        if (!index.TryGetValue(key, out var list))
        {
            index[key] = list = [];
        }

        list.Add(e);
    }

    private static Dictionary<string, SourceEvent[]> Sorted(Dictionary<string, List<SourceEvent>> index, Comparison<SourceEvent> order)
    {
        var sorted = new Dictionary<string, SourceEvent[]>(index.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, list) in index)
        {
            var array = list.ToArray();
            Array.Sort(array, order);
            sorted[key] = array;
        }

        return sorted;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
