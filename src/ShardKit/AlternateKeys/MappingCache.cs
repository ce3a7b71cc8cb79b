namespace ShardKit.AlternateKeys;

/// <summary>
/// A bounded in-process cache of alternate-key mappings: at most <c>capacity</c> entries, least recently used evicted
/// first, each trusted for a fixed duration. Thread-safe (one lock; every operation is O(1)).
/// </summary>
internal sealed class MappingCache
{
    private readonly int _capacity;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _time;
    private readonly Dictionary<AlternateKey, LinkedListNode<Entry>> _entries;
    private readonly LinkedList<Entry> _recency = new();
    private readonly Lock _lock = new();

    public MappingCache(int capacity, TimeSpan duration, TimeProvider time)
    {
        _capacity = capacity;
        _duration = duration;
        _time = time;
        _entries = new Dictionary<AlternateKey, LinkedListNode<Entry>>(Math.Min(capacity, 1024));
    }

    public int Capacity => _capacity;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(AlternateKey key, out AlternateKeyMapping? mapping)
    {
        mapping = null;
        if (_capacity == 0)
        {
            return false;
        }

        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
            {
                return false;
            }

            if (_time.GetElapsedTime(node.Value.StoredAt) >= _duration)
            {
                _recency.Remove(node);
                _entries.Remove(key);
                return false;
            }

            _recency.Remove(node);
            _recency.AddFirst(node);
            mapping = node.Value.Mapping;
            return true;
        }
    }

    public void Set(AlternateKeyMapping mapping)
    {
        if (_capacity == 0)
        {
            return;
        }

        var entry = new Entry(mapping, _time.GetTimestamp());
        lock (_lock)
        {
            if (_entries.TryGetValue(mapping.Key, out var node))
            {
                node.Value = entry;
                _recency.Remove(node);
                _recency.AddFirst(node);
                return;
            }

            if (_entries.Count >= _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Mapping.Key);
            }

            _entries.Add(mapping.Key, _recency.AddFirst(entry));
        }
    }

    public void Remove(AlternateKey key)
    {
        if (_capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_entries.Remove(key, out var node))
            {
                _recency.Remove(node);
            }
        }
    }

    private readonly record struct Entry(AlternateKeyMapping Mapping, long StoredAt);
}
