using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace ShardKit.Connections;

/// <summary>
/// The endpoint table of a data source: one <see cref="EndpointState"/> (and so one connection pool, created on first use)
/// per physical endpoint, keyed by its connection string and shared by every shard and every map version that names it.
/// New pools and guards take the options last given to <see cref="UseOptions"/>.
/// </summary>
internal sealed class EndpointPools
{
    private readonly Func<string, DbDataSource> _createPool;
    private readonly bool _applyDriverDefaults;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Dictionary<string, EndpointState> _endpoints = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile EndpointResilienceOptions _resilience = new();
    private volatile ShardConnectionOptions _connections = new();
    private bool _closed;

    /// <param name="createPool">Creates the pool of one endpoint from its connection string.</param>
    /// <param name="applyDriverDefaults">Whether ShardKit's connection-string defaults (timeouts, pool sizes, TLS) are added first.</param>
    /// <param name="timeProvider">The clock of the endpoints' breakers.</param>
    /// <param name="logger">Logs each pool created.</param>
    public EndpointPools(Func<string, DbDataSource> createPool, bool applyDriverDefaults, TimeProvider timeProvider, ILogger logger)
    {
        _createPool = createPool;
        _applyDriverDefaults = applyDriverDefaults;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Sets the options of the guards and pools created from now on (existing ones are reconfigured by their owner).</summary>
    public void UseOptions(EndpointResilienceOptions resilience, ShardConnectionOptions connections)
    {
        _resilience = resilience;
        _connections = connections;
    }

    /// <summary>The state of <paramref name="endpoint"/>, created on first use.</summary>
    /// <exception cref="ObjectDisposedException">The table was closed (the data source is disposed).</exception>
    public EndpointState Get(ShardEndpoint endpoint, string clusterName, bool isReplica)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(ShardKitDataSource));
            if (!_endpoints.TryGetValue(endpoint.ConnectionString, out var state))
            {
                state = new EndpointState(endpoint, clusterName, isReplica, new EndpointGuard(_resilience, _timeProvider), CreatePool);
                _endpoints.Add(endpoint.ConnectionString, state);
            }

            return state;
        }
    }

    /// <summary>The primary of <paramref name="slot"/>'s cluster: from <paramref name="state"/> when the slot is of its map, else from the table.</summary>
    public EndpointState PrimaryOf(RoutingState state, ShardSlot slot) =>
        ReferenceEquals(slot.Map, state.Map)
            ? state.Primaries[slot.Cluster.Index]
            : Get(slot.Cluster.Primary, slot.Cluster.Name, isReplica: false);

    /// <summary>Every endpoint in the table now (for the metrics' gauges).</summary>
    public List<EndpointState> Snapshot()
    {
        lock (_lock)
        {
            return _endpoints.Values.ToList();
        }
    }

    /// <summary>Closes the table: later <see cref="Get"/> calls throw. Returns the pools created, for the caller to dispose.</summary>
    public List<DbDataSource> Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return [];
            }

            _closed = true;
            var pools = _endpoints.Values.Select(e => e.CreatedPool).OfType<DbDataSource>().ToList();
            _endpoints.Clear();
            return pools;
        }
    }

    private DbDataSource CreatePool(EndpointState state)
    {
        var connectionString = _applyDriverDefaults
            ? EndpointDataSourceFactory.ApplyDefaults(state.Endpoint.ConnectionString, _resilience, _connections)
            : state.Endpoint.ConnectionString;
        var pool = _createPool(connectionString);
        Log.PoolCreated(_logger, state.Endpoint.Address, state.Cluster);
        return pool;
    }
}
