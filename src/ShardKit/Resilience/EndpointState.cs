using System.Data.Common;

namespace ShardKit.Resilience;

/// <summary>
/// Everything ShardKit keeps about one physical endpoint, shared by every shard and every map version that names it:
/// its connection pool (created on first use), its breaker and concurrency gate, the connections callers hold on it
/// and, for a replica, its measured health.
/// </summary>
internal sealed class EndpointState
{
    private readonly Func<EndpointState, DbDataSource> _createPool;
    private readonly Lock _lock = new();
    private DbDataSource? _pool;
    private volatile EndpointGuard _guard;
    private int _outstanding;

    public EndpointState(ShardEndpoint endpoint, string cluster, bool isReplica, EndpointGuard guard, Func<EndpointState, DbDataSource> createPool)
    {
        Endpoint = endpoint;
        Cluster = cluster;
        IsReplica = isReplica;
        _guard = guard;
        _createPool = createPool;
    }

    public ShardEndpoint Endpoint { get; }

    public string Cluster { get; }

    public bool IsReplica { get; }

    public ReplicaHealth Health { get; } = new();

    public EndpointGuard Guard => _guard;

    /// <summary>Connections callers hold on this endpoint now (the least-outstanding balancer reads it).</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>The pool, if one has been created.</summary>
    public DbDataSource? CreatedPool
    {
        get
        {
            lock (_lock)
            {
                return _pool;
            }
        }
    }

    public DbDataSource Pool
    {
        get
        {
            var pool = Volatile.Read(ref _pool);
            if (pool is not null)
            {
                return pool;
            }

            lock (_lock)
            {
                return _pool ??= _createPool(this);
            }
        }
    }

    public void Configure(EndpointResilienceOptions options, TimeProvider time)
    {
        if (!_guard.Matches(options))
        {
            _guard = new EndpointGuard(options, time);
        }
    }

    public void AddOutstanding() => Interlocked.Increment(ref _outstanding);

    public void RemoveOutstanding() => Interlocked.Decrement(ref _outstanding);
}
