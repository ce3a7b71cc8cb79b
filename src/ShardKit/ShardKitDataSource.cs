using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShardKit;

/// <summary>
/// The entry point of routed access: opens connections to the logical shard that holds a user's,
/// a merchant's or an order's data, on the right physical server (the primary, or a replica for reads), with the right physical names.
/// Owns one connection pool (<see cref="DbDataSource"/>) per physical endpoint (primaries and replicas), shared by all the
/// logical shards on it. Create it with <see cref="ShardKitDataSourceBuilder"/> or
/// <c>services.AddShardKit(...)</c>; it is thread-safe and meant to live as long as the application.
/// </summary>
public sealed partial class ShardKitDataSource : IAsyncDisposable, IDisposable
{
    private readonly Func<string, DbDataSource> _createPool;
    private readonly bool _applyDriverDefaults;
    private readonly Dictionary<string, EndpointState> _endpoints = new(StringComparer.Ordinal);
    private readonly Lock _endpointsLock = new();
    private readonly AsyncLocal<ShardTransaction?> _ambient = new();
    private readonly IDisposable? _changeSubscription;
    private readonly IDisposable? _ownedMonitor;
    private readonly RoutingMetrics _metrics;
    private readonly HeartbeatProber _prober;
    private volatile RoutingState _state;
    private volatile bool _disposed;

    internal ShardKitDataSource(
        ShardKitOptions? options,
        IOptionsMonitor<ShardKitOptions>? monitor,
        IDisposable? ownedMonitor,
        Func<string, DbDataSource> createPool,
        bool applyDriverDefaults,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider)
    {
        _createPool = createPool;
        _applyDriverDefaults = applyDriverDefaults;
        _ownedMonitor = ownedMonitor;
        Logger = loggerFactory.CreateLogger<ShardKitDataSource>();
        TimeProvider = timeProvider;
        _metrics = new RoutingMetrics(SnapshotEndpoints);

        ShardKitOptions initial;
        try
        {
            initial = monitor?.CurrentValue ?? options!;
        }
        catch (OptionsValidationException ex)
        {
            // The validator's failures read "ShardKit topology: <error>"; the message lists them all.
            throw new ShardKitException(ShardKitErrorCode.InvalidTopology, ex.Message, ex);
        }

        var map = ShardMap.Create(initial);
        _options = initial;
        _state = CreateState(map, initial);
        LogMapLoaded(map);
        _prober = new HeartbeatProber(this);
        _prober.Start(initial.ReplicaHealth.HeartbeatInterval);
        _changeSubscription = monitor?.OnChange(OnOptionsChanged);
        StartPlacementPolling();
    }

    /// <summary>The map new operations are routed with: the newest valid one.</summary>
    /// <remarks>
    /// Route without opening anything (for logging, diagnostics or fan-out) with
    /// <see cref="ShardMap.RouteUser"/>, <see cref="ShardMap.RouteMerchant"/> and <see cref="ShardMap.RouteOrder"/>.
    /// </remarks>
    public ShardMap Map => _state.Map;

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    internal RoutingMetrics Metrics => _metrics;

    internal RoutingState State => _state;

    /// <summary>The ShardKit transaction open on the current async flow, if any.</summary>
    internal ShardTransaction? AmbientTransaction
    {
        get => _ambient.Value is { IsActive: true } transaction ? transaction : null;
        set => _ambient.Value = value;
    }

    /// <summary>Removes <paramref name="transaction"/> from the current async flow if it is the one bound there, finished or not.</summary>
    internal void ClearAmbient(ShardTransaction transaction)
    {
        if (ReferenceEquals(_ambient.Value, transaction))
        {
            _ambient.Value = null;
        }
    }

    /// <summary>Opens a connection to the user shard that holds <paramref name="userId"/>'s orders.</summary>
    /// <param name="userId">The user ID (positive).</param>
    /// <param name="intent">
    /// <see cref="ShardIntent.Write"/> goes to the primary; <see cref="ShardIntent.Read"/> is <see cref="ReadPreference.PreferReplica"/>
    /// outside a transaction.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when the endpoint cannot be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenUserShardAsync(long userId, ShardIntent intent, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteUser(userId), intent, cancellationToken);

    /// <summary>Opens a connection to the merchant shard that holds <paramref name="merchantId"/>'s orders.</summary>
    /// <param name="merchantId">The merchant ID (positive).</param>
    /// <param name="intent">
    /// <see cref="ShardIntent.Write"/> goes to the primary; <see cref="ShardIntent.Read"/> is <see cref="ReadPreference.PreferReplica"/>
    /// outside a transaction.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is zero or negative.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when the endpoint cannot be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenMerchantShardAsync(long merchantId, ShardIntent intent, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteMerchant(merchantId), intent, cancellationToken);

    /// <summary>
    /// Opens a connection to the shard of <paramref name="dimension"/> that holds the order, found from the
    /// shard genes inside the order ID (no lookup).
    /// </summary>
    /// <param name="orderId">The order ID.</param>
    /// <param name="dimension">Which copy of the order: the user's or the merchant's.</param>
    /// <param name="intent">
    /// <see cref="ShardIntent.Write"/> goes to the primary; <see cref="ShardIntent.Read"/> is <see cref="ReadPreference.PreferReplica"/>
    /// outside a transaction.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/> when the genes name a shard the map does not have;
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when the endpoint cannot be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenOrderShardAsync(OrderId orderId, ShardDimension dimension, ShardIntent intent, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteOrder(orderId, dimension), intent, cancellationToken);

    /// <summary>Opens a connection to the shard of an already computed <paramref name="route"/>.</summary>
    /// <param name="route">A route from <see cref="Map"/> (a route from an older map still opens the endpoint it names).</param>
    /// <param name="intent">
    /// <see cref="ShardIntent.Write"/> goes to the primary; <see cref="ShardIntent.Read"/> is <see cref="ReadPreference.PreferReplica"/>
    /// outside a transaction.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when the endpoint cannot be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenAsync(ShardRoute route, ShardIntent intent, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slot = route.Slot;
        if (intent is not (ShardIntent.Read or ShardIntent.Write))
        {
            throw new ArgumentOutOfRangeException(nameof(intent), intent, "The intent must be Read or Write.");
        }

        if (intent == ShardIntent.Read)
        {
            return OpenReadAsync(slot, ReadOptions.Default, cancellationToken);
        }

        var transaction = AmbientTransaction;
        if (transaction is not null)
        {
            EnsureSameShard(transaction, slot);
            if (transaction.IsReadOnly)
            {
                throw new InvalidOperationException(
                    $"A read-only ShardKit transaction is open on shard {slot.Name}; finish it before writing to the shard.");
            }

            return new ValueTask<ShardConnection>(new ShardConnection(this, slot, transaction.Endpoint, transaction.Connection, intent, transaction));
        }

        return OpenPrimaryAsync(slot, intent, nonEssential: false, cancellationToken);
    }

    /// <summary>Stops the replica prober, closes every connection pool the data source created and stops following configuration changes.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var pool in BeginDispose())
        {
            await pool.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the replica prober, closes every connection pool the data source created and stops following configuration changes.</summary>
    public void Dispose()
    {
        foreach (var pool in BeginDispose())
        {
            pool.Dispose();
        }
    }

    /// <summary>Opens a connection to a cluster's primary, outside any shard (for cluster-wide bookkeeping).</summary>
    internal async ValueTask<DbConnection> OpenClusterAsync(ShardCluster cluster, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var primary = GetEndpoint(cluster.Primary, cluster.Name, isReplica: false);
        try
        {
            return await OpenWithTimeoutAsync(primary, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Could not open a connection to cluster '{cluster.Name}' ({cluster.Primary.Address}): {ex.Message}",
                ex);
        }
    }

    /// <summary>Every endpoint of the current map, primaries first, then each cluster's replicas.</summary>
    internal IEnumerable<EndpointState> CurrentEndpoints()
    {
        var state = _state;
        foreach (var primary in state.Primaries)
        {
            yield return primary;
        }

        foreach (var replicas in state.Replicas)
        {
            for (var i = 0; i < replicas.Count; i++)
            {
                yield return replicas[i];
            }
        }
    }

    internal void EnsureSameShard(ShardTransaction transaction, ShardSlot requested)
    {
        var bound = transaction.Slot;
        if (bound.Dimension == requested.Dimension && bound.Shard == requested.Shard)
        {
            return;
        }

        Log.CrossShardTransactionRefused(Logger, requested.Name, bound.Name);
        throw new ShardKitException(
            ShardKitErrorCode.CrossShardTransaction,
            $"Cannot use shard {requested.Name}: a ShardKit transaction is open on shard {bound.Name}, and a transaction is bound to one shard. " +
            "Finish it before touching another shard.")
        {
            Shard = requested.Name,
        };
    }

    private ValueTask<ShardConnection> OpenPrimaryAsync(ShardSlot slot, ShardIntent intent, bool nonEssential, CancellationToken cancellationToken)
    {
        var state = _state;
        var primary = ReferenceEquals(slot.Map, state.Map)
            ? state.Primaries[slot.Cluster.Index]
            : GetEndpoint(slot.Cluster.Primary, slot.Cluster.Name, isReplica: false);
        return OpenEndpointAsync(slot, primary, intent, nonEssential, cancellationToken);
    }

    /// <summary>The state of <paramref name="endpoint"/>, created on first use and shared by every map that names it.</summary>
    internal EndpointState GetEndpoint(ShardEndpoint endpoint, string clusterName, bool isReplica)
    {
        lock (_endpointsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_endpoints.TryGetValue(endpoint.ConnectionString, out var state))
            {
                var guard = new EndpointGuard(_state?.Resilience ?? new EndpointResilienceOptions(), TimeProvider);
                state = new EndpointState(endpoint, clusterName, isReplica, guard, CreatePool);
                _endpoints.Add(endpoint.ConnectionString, state);
            }

            return state;
        }
    }

    private DbDataSource CreatePool(EndpointState state)
    {
        var pool = _createPool(_applyDriverDefaults ? EndpointDataSourceFactory.ApplyDefaults(state.Endpoint.ConnectionString, _state?.Resilience, _state?.Connections) : state.Endpoint.ConnectionString);
        Log.PoolCreated(Logger, state.Endpoint.Address, state.Cluster);
        return pool;
    }

    private List<EndpointState> SnapshotEndpoints()
    {
        lock (_endpointsLock)
        {
            return _endpoints.Values.ToList();
        }
    }

    private RoutingState CreateState(ShardMap map, ShardKitOptions options)
    {
        var primaries = new EndpointState[map.Clusters.Count];
        var replicas = new ReplicaSet[map.Clusters.Count];
        var fallbacks = new FallbackBudget[map.Clusters.Count];
        var resilience = options.Resilience ?? new EndpointResilienceOptions();
        var health = options.ReplicaHealth ?? new ReplicaHealthOptions();
        foreach (var cluster in map.Clusters)
        {
            primaries[cluster.Index] = GetEndpoint(cluster.Primary, cluster.Name, isReplica: false);
            primaries[cluster.Index].Configure(resilience, TimeProvider);

            // Primaries' pools exist from the start (a replica's is created by the first read or probe that reaches it).
            _ = primaries[cluster.Index].Pool;
            var set = new EndpointState[cluster.Replicas.Count];
            for (var i = 0; i < set.Length; i++)
            {
                set[i] = GetEndpoint(cluster.Replicas[i], cluster.Name, isReplica: true);
                set[i].Configure(resilience, TimeProvider);
            }

            replicas[cluster.Index] = new ReplicaSet(set);
            fallbacks[cluster.Index] = new FallbackBudget(health.FallbackShare, health.FallbackBurst);
        }

        return new RoutingState(map, primaries, replicas, fallbacks, options, CreateReadRetry(resilience));
    }

    private void OnOptionsChanged(ShardKitOptions options, string? name)
    {
        if (_disposed || (name is not null && name != Options.DefaultName))
        {
            return;
        }

        // The registered validator has already accepted these options (an invalid reload never reaches
        // this point: the validator logs it and the monitor keeps it from us), but the data source can
        // also be fed by a monitor without it, so compile defensively.
        ShardMap? map;
        lock (_stateLock)
        {
            // Moved shards stay where the placement overrides put them (shardkit move-shard); the file decides everything else.
            map = Topology.TopologyCompiler.Compile(options, _overrides, out var errors);
            if (map is null)
            {
                Log.MapRejected(Logger, options.MapVersion, string.Join("; ", errors));
                return;
            }

            try
            {
                _state = CreateState(map, options);
                _options = options;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }

        StartPlacementPolling();

        _prober.Start(_state.Health.HeartbeatInterval);

        LogMapLoaded(map);
    }

    private void LogMapLoaded(ShardMap map)
    {
        var userShards = map.GetShardCount(ShardDimension.User);
        var merchantShards = map.GetShardCount(ShardDimension.Merchant);
        Log.MapLoaded(Logger, map.Version, map.Clusters.Count, userShards, merchantShards);
    }

    private List<DbDataSource> BeginDispose()
    {
        lock (_endpointsLock)
        {
            if (_disposed)
            {
                return [];
            }

            _disposed = true;
            StopPlacementPolling();
            _prober.Dispose();
            _changeSubscription?.Dispose();
            _ownedMonitor?.Dispose();
            _metrics.Dispose();
            var pools = _endpoints.Values.Select(e => e.CreatedPool).OfType<DbDataSource>().ToList();
            _endpoints.Clear();
            return pools;
        }
    }
}
