using System.Data.Common;

namespace ShardKit.Replication;

/// <summary>
/// The replicas of one cluster in one compiled map: their endpoints, their pools (created on first use,
/// one per endpoint, shared through the data source's pool table) and the round-robin position.
/// </summary>
internal sealed class ReplicaSet
{
    private readonly DbDataSource?[] _pools;
    private readonly Func<ShardEndpoint, DbDataSource> _getPool;
    private int _next = -1;

    public ReplicaSet(IReadOnlyList<ShardEndpoint> endpoints, Func<ShardEndpoint, DbDataSource> getPool)
    {
        Endpoints = endpoints;
        _pools = new DbDataSource?[endpoints.Count];
        _getPool = getPool;
    }

    public IReadOnlyList<ShardEndpoint> Endpoints { get; }

    public int Count => Endpoints.Count;

    /// <summary>The index of the replica to use next, in turn.</summary>
    public int Next() => (int)((uint)Interlocked.Increment(ref _next) % (uint)Endpoints.Count);

    public DbDataSource GetPool(int index)
    {
        var pool = Volatile.Read(ref _pools[index]);
        if (pool is null)
        {
            // A race creates nothing twice: the data source hands out one pool per endpoint.
            pool = _getPool(Endpoints[index]);
            Volatile.Write(ref _pools[index], pool);
        }

        return pool;
    }
}
