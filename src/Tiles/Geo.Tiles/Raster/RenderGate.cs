namespace Geo.Tiles.Raster;

/// <summary>
/// Bounds the GDAL-backed tile renders running at once (SECURITY A5: a tile flood must not take every core and the
/// memory of every render): at most <see cref="MaxConcurrent"/> renders run, at most <see cref="MaxQueued"/> more wait,
/// each for at most <see cref="MaxWait"/>. Anything beyond is refused at once, so the caller answers 503 with
/// Retry-After rather than queueing without bound. Cached tiles never pass through the gate.
/// </summary>
public sealed class RenderGate(int maxConcurrent, int maxQueued, TimeSpan maxWait) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxConcurrent), Math.Max(1, maxConcurrent));
    private int _waiting;

    /// <summary>Renders allowed to run at once.</summary>
    public int MaxConcurrent { get; } = Math.Max(1, maxConcurrent);

    /// <summary>Requests allowed to wait for a slot.</summary>
    public int MaxQueued { get; } = Math.Max(0, maxQueued);

    /// <summary>Longest wait for a slot.</summary>
    public TimeSpan MaxWait { get; } = maxWait;

    /// <summary>
    /// A slot to render in (dispose it when done), or null when the gate is full: every slot busy and the queue full,
    /// or no slot freed within <see cref="MaxWait"/>.
    /// </summary>
    public async ValueTask<IDisposable?> EnterAsync(CancellationToken ct)
    {
        if (_slots.Wait(0)) return new Slot(_slots);
        if (Interlocked.Increment(ref _waiting) > MaxQueued)
        {
            Interlocked.Decrement(ref _waiting);
            return null;
        }

        try
        {
            return await _slots.WaitAsync(MaxWait, ct).ConfigureAwait(false) ? new Slot(_slots) : null;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
