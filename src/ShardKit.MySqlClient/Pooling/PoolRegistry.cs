using System.Collections.Concurrent;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Pooling;

/// <summary>The process-wide pools used by <see cref="MySqlConnection"/>s created from a connection string, one per normalized connection string.</summary>
internal static class PoolRegistry
{
    private static readonly ConcurrentDictionary<string, ConnectionPool> s_pools = new(StringComparer.Ordinal);

    public static ConnectionPool GetOrCreate(ConnectionSettings settings)
    {
        if (s_pools.TryGetValue(settings.NormalizedKey, out var pool))
        {
            return pool;
        }

        var created = new ConnectionPool(settings);
        var winner = s_pools.GetOrAdd(settings.NormalizedKey, created);
        if (!ReferenceEquals(winner, created))
        {
            created.Dispose();
        }

        return winner;
    }

    public static void Clear(ConnectionSettings settings)
    {
        if (s_pools.TryGetValue(settings.NormalizedKey, out var pool))
        {
            pool.Clear();
        }
    }

    public static void ClearAll()
    {
        foreach (var pool in s_pools.Values)
        {
            pool.Clear();
        }
    }
}
