namespace Panaptico.Functions.Teams;

/// <summary>
/// A bounded cache of directory answers: at most <c>capacity</c> entries (the least recently used goes first) and each
/// for <c>ttl</c> by the given clock. Hand-written because MemoryCache compacts in the background when over its size,
/// so its bound is not one a test (or a capacity plan) can rely on.
/// </summary>
public sealed class DirectoryCache<T>(int capacity, TimeSpan ttl, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, T Value, DateTimeOffset Expires)>> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly LinkedList<(string Key, T Value, DateTimeOffset Expires)> _recency = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(string key, out T value)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                if (node.Value.Expires > time.GetUtcNow())
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    value = node.Value.Value;
                    return true;
                }
                _recency.Remove(node);
                _entries.Remove(key);
            }
        }
        value = default!;
        return false;
    }

    public void Set(string key, T value)
    {
        lock (_gate)
        {
            if (_entries.Remove(key, out var old))
            {
                _recency.Remove(old);
            }
            _entries[key] = _recency.AddFirst((key, value, time.GetUtcNow() + ttl));
            while (_entries.Count > Math.Max(1, capacity))
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(last.Value.Key);
            }
        }
    }

    public async Task<T> GetOrAddAsync(string key, Func<Task<T>> load)
    {
        if (TryGet(key, out var value))
        {
            return value;
        }
        value = await load();
        Set(key, value);
        return value;
    }
}
