namespace ShardKit.AlternateKeys;

/// <summary>
/// A snapshot of an <see cref="AlternateKeyStore"/>'s lookup counters since it was created; the same counts are
/// published on the <c>ShardKit</c> meter as <c>shardkit.mapping.cache.hits</c>, <c>shardkit.mapping.cache.misses</c>
/// and <c>shardkit.mapping.dangling</c>.
/// </summary>
public sealed record AlternateKeyCacheStatistics
{
    /// <summary>Lookups answered from the cache.</summary>
    public required long Hits { get; init; }

    /// <summary>Lookups that had to read the mapping shard.</summary>
    public required long Misses { get; init; }

    /// <summary>Lookups that found a dangling mapping (its order is not there).</summary>
    public required long Dangling { get; init; }

    /// <summary>Mappings in the cache now.</summary>
    public required int Count { get; init; }

    /// <summary>The most mappings the cache holds (<see cref="AlternateKeyStoreOptions.CacheCapacity"/>).</summary>
    public required int Capacity { get; init; }
}
