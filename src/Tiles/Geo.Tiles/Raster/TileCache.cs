namespace Geo.Tiles.Raster;

/// <summary>
/// A bounded in-memory LRU cache of encoded tiles, by total size in bytes. Thread-safe (one lock; entries are
/// immutable byte arrays). A survey's COG never changes under its id, so entries need no invalidation other than
/// <see cref="RemoveWhere"/> when a survey is deleted.
/// </summary>
public sealed class TileCache(long capacityBytes)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, byte[] Bytes)>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, byte[] Bytes)> _lru = new();
    private readonly Lock _gate = new();
    private long _bytes;

    /// <summary>Bytes held now.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate) return _bytes;
        }
    }

    /// <summary>The capacity in bytes.</summary>
    public long CapacityBytes => capacityBytes;

    /// <summary>Entries held now.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _map.Count;
        }
    }

    /// <summary>The cached bytes, marking them recently used.</summary>
    public bool TryGet(string key, out byte[] bytes)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                bytes = node.Value.Bytes;
                return true;
            }
        }

        bytes = [];
        return false;
    }

    /// <summary>Adds or replaces an entry, evicting the least recently used ones beyond the capacity. An entry larger
    /// than the whole capacity is not kept.</summary>
    public void Set(string key, byte[] bytes)
    {
        if (bytes.LongLength > capacityBytes) return;
        lock (_gate)
        {
            if (_map.Remove(key, out var old))
            {
                _lru.Remove(old);
                _bytes -= old.Value.Bytes.LongLength;
            }

            _map[key] = _lru.AddFirst((key, bytes));
            _bytes += bytes.LongLength;
            while (_bytes > capacityBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes.LongLength;
            }
        }
    }

    /// <summary>Removes every entry whose key starts with <paramref name="prefix"/>.</summary>
    public void RemoveWhere(string prefix)
    {
        lock (_gate)
        {
            foreach (var key in _map.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList())
            {
                var node = _map[key];
                _lru.Remove(node);
                _map.Remove(key);
                _bytes -= node.Value.Bytes.LongLength;
            }
        }
    }
}
