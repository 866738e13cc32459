using System.Collections.Concurrent;

namespace Geo.Tiles.Vector;

/// <summary>A rendered tile: its bytes (empty = no feature), its strong ETag (a content hash), and the data revision
/// it was made from.</summary>
public sealed record VectorTile(string Layer, string Tile, long Revision, byte[] Bytes, string ETag);

/// <summary>
/// A bounded in-memory cache of rendered tiles keyed by (layer, revision, z/x/y). A new revision makes every older
/// entry unreachable at once, so a tile is never served stale; those entries are evicted first when the byte budget
/// is reached, then the least recently used ones.
/// </summary>
public sealed class VectorTileCache(long maxBytes = 64L * 1024 * 1024)
{
    private readonly record struct Key(string Layer, long Revision, int Z, int X, int Y);

    private sealed class Entry(VectorTile tile)
    {
        public VectorTile Tile { get; } = tile;
        public long LastUsed;
    }

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly ConcurrentDictionary<string, long> _latest = new(StringComparer.Ordinal);
    private readonly Lock _evictLock = new();
    private long _bytes;
    private long _clock;

    public long MaxBytes => maxBytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public int Count => _entries.Count;

    public bool TryGet(string layer, long revision, int z, int x, int y, out VectorTile tile)
    {
        if (_entries.TryGetValue(new Key(layer, revision, z, x, y), out var e))
        {
            e.LastUsed = Interlocked.Increment(ref _clock);
            tile = e.Tile;
            return true;
        }
        tile = null!;
        return false;
    }

    public void Add(int z, int x, int y, VectorTile tile)
    {
        var size = tile.Bytes.Length + 200;
        if (size > maxBytes / 8) return; // never let one tile crowd out the rest
        _latest.AddOrUpdate(tile.Layer, tile.Revision, (_, r) => Math.Max(r, tile.Revision));
        var entry = new Entry(tile) { LastUsed = Interlocked.Increment(ref _clock) };
        if (!_entries.TryAdd(new Key(tile.Layer, tile.Revision, z, x, y), entry)) return;
        if (Interlocked.Add(ref _bytes, size) > maxBytes) Evict();
    }

    private void Evict()
    {
        lock (_evictLock)
        {
            if (Interlocked.Read(ref _bytes) <= maxBytes) return;
            var target = maxBytes * 3 / 4;
            // Stale revisions first, then least recently used.
            var order = _entries
                .OrderBy(kv => _latest.TryGetValue(kv.Key.Layer, out var r) && kv.Key.Revision < r ? 0 : 1)
                .ThenBy(kv => kv.Value.LastUsed)
                .Select(kv => kv.Key)
                .ToList();
            foreach (var key in order)
            {
                if (Interlocked.Read(ref _bytes) <= target) break;
                if (_entries.TryRemove(key, out var e)) Interlocked.Add(ref _bytes, -(e.Tile.Bytes.Length + 200));
            }
        }
    }
}
