using System.Diagnostics.Metrics;

namespace ShardKit.AlternateKeys;

/// <summary>
/// The alternate-key instruments on the <c>ShardKit</c> meter: counters <c>shardkit.mapping.cache.hits</c>,
/// <c>shardkit.mapping.cache.misses</c>, <c>shardkit.mapping.dangling</c> (lookups), <c>shardkit.mapping.swept</c>
/// (mappings the sweeper removed) and the gauge <c>shardkit.mapping.cache.size</c>. The counts are also kept for
/// <see cref="AlternateKeyStore.GetCacheStatistics"/>.
/// </summary>
internal sealed class MappingMetrics : IDisposable
{
    private readonly Meter _meter = new(ShardKitTelemetry.MeterName, ShardKitTelemetry.Version);
    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;
    private readonly Counter<long> _dangling;
    private readonly Counter<long> _swept;
    private long _hitCount;
    private long _missCount;
    private long _danglingCount;

    public MappingMetrics(MappingCache cache)
    {
        _hits = _meter.CreateCounter<long>("shardkit.mapping.cache.hits", "{lookup}", "Alternate-key lookups answered from the in-process cache.");
        _misses = _meter.CreateCounter<long>("shardkit.mapping.cache.misses", "{lookup}", "Alternate-key lookups that read the mapping shard.");
        _dangling = _meter.CreateCounter<long>("shardkit.mapping.dangling", "{lookup}", "Alternate-key lookups that found a mapping whose order is not there.");
        _swept = _meter.CreateCounter<long>("shardkit.mapping.swept", "{mapping}", "Dangling alternate-key mappings removed by the sweeper.");
        _meter.CreateObservableGauge("shardkit.mapping.cache.size", () => cache.Count, "{mapping}", "Alternate-key mappings in the in-process cache.");
    }

    /// <summary>The store's own meter, so tests can tell its measurements from other stores'.</summary>
    public Meter Meter => _meter;

    public long Hits => Interlocked.Read(ref _hitCount);

    public long Misses => Interlocked.Read(ref _missCount);

    public long Dangling => Interlocked.Read(ref _danglingCount);

    public void Hit()
    {
        Interlocked.Increment(ref _hitCount);
        _hits.Add(1);
    }

    public void Miss()
    {
        Interlocked.Increment(ref _missCount);
        _misses.Add(1);
    }

    public void Dangle()
    {
        Interlocked.Increment(ref _danglingCount);
        _dangling.Add(1);
    }

    public void Swept(long count)
    {
        if (count > 0)
        {
            _swept.Add(count);
        }
    }

    public void Dispose() => _meter.Dispose();
}
