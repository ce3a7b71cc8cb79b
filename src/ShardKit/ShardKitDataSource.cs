using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace ShardKit;

/// <summary>
/// The entry point of routed access: opens connections to the logical shard that holds a user's,
/// a merchant's or an order's data, on the right physical server (the primary, or a replica for reads), with the right physical names.
/// Owns one connection pool (<see cref="DbDataSource"/>) per physical endpoint (primaries and replicas), shared by all the
/// logical shards on it. Create it with <see cref="ShardKitDataSourceBuilder"/> or
/// <c>services.AddShardKit(...)</c>; it is thread-safe and meant to live as long as the application.
/// </summary>
/// <remarks>
/// A thin front over collaborators that each do one job: the endpoint pools (<c>Connections/EndpointPools</c>), the
/// topology monitor (<c>Topology/TopologyMonitor</c>: reloads and moved shards' placements), the endpoint connector
/// (<c>Resilience/EndpointConnector</c>: breaker, concurrency limit, timeouts), the replica router with the causal wait
/// (<c>Replication/ReplicaRouter</c>), the replica prober and the per-flow ambient context (transaction, read-your-writes scope).
/// </remarks>
public sealed class ShardKitDataSource : IAsyncDisposable, IDisposable
{
    /// <summary>The most connections per endpoint <see cref="WarmUpAsync"/> opens.</summary>
    public const int MaxWarmUpConnectionsPerEndpoint = 1000;

    private readonly EndpointPools _pools;
    private readonly AmbientContext _ambient;
    private readonly RoutingMetrics _metrics;
    private readonly EndpointConnector _connector;
    private readonly TopologyMonitor _topology;
    private readonly ReplicaRouter _replicas;
    private readonly MovedShardRetry _moves;
    private readonly HeartbeatProber _prober;
    private volatile bool _disposed;
    private TableCheckResult? _tableCheck;

    internal ShardKitDataSource(
        ShardKitOptions? options,
        IOptionsMonitor<ShardKitOptions>? monitor,
        IDisposable? ownedMonitor,
        Func<string, DbDataSource> createPool,
        bool applyDriverDefaults,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider)
    {
        Logger = loggerFactory.CreateLogger<ShardKitDataSource>();
        TimeProvider = timeProvider;
        Shapes = new TableShapes(this);
        _pools = new EndpointPools(createPool, applyDriverDefaults, timeProvider, Logger);
        _ambient = new AmbientContext(Logger);
        _metrics = new RoutingMetrics(_pools.Snapshot);
        _connector = new EndpointConnector(_pools, _ambient, _metrics, Logger, timeProvider);
        try
        {
            _topology = new TopologyMonitor(options, monitor, ownedMonitor, _pools, _connector, Logger, timeProvider);
        }
        catch
        {
            _metrics.Dispose();
            throw;
        }

        _replicas = new ReplicaRouter(_pools, _connector, _ambient, _metrics, Logger);
        _moves = new MovedShardRetry(_topology, timeProvider);
        var topology = _topology;
        var prober = new HeartbeatProber(() => topology.State, _connector, _metrics, Logger, timeProvider);
        prober.Start(topology.State.Health.HeartbeatInterval);
        topology.Reloaded += state => prober.Start(state.Health.HeartbeatInterval);
        _prober = prober;
    }

    /// <summary>
    /// The newest check of the shards' tables against the table model (<see cref="CheckTablesAsync"/>): the columns each
    /// declared table has on the servers (<see cref="TableCheckResult.GetColumns"/>) and any drift.
    /// <see langword="null"/> until the first check. A service's start-up check fills it, and once filled, a schema roll-out
    /// through this data source (<see cref="SchemaApplier"/>) refreshes it when it finishes, so a new column shows without a restart.
    /// </summary>
    public TableCheckResult? TableCheck => Volatile.Read(ref _tableCheck);

    /// <summary>Reads every shard's tables now (one statement per cluster), keeps the result as <see cref="TableCheck"/> and returns it.</summary>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<TableCheckResult> CheckTablesAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = await new TableModelChecker(this).CheckAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _tableCheck, result);
        return result;
    }

    /// <summary>The map new operations are routed with: the newest valid one.</summary>
    /// <remarks>
    /// Route without opening anything (for logging, diagnostics or fan-out) with
    /// <see cref="ShardMap.RouteUser"/>, <see cref="ShardMap.RouteMerchant"/> and <see cref="ShardMap.RouteOrder"/>.
    /// </remarks>
    public ShardMap Map => _topology.State.Map;

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    /// <summary>The declared tables' columns as the shards describe them (one cache for the stores and cross-shard queries).</summary>
    internal TableShapes Shapes { get; }

    /// <summary>The statement every session of this data source runs when opened (<see cref="ShardKitDataSourceBuilder.UseMigratorSessions"/>); null for an application's.</summary>
    internal string? SessionStatement { get; init; }

    /// <summary>The ShardKit transaction open on the current async flow, if any.</summary>
    internal ShardTransaction? AmbientTransaction => _ambient.Transaction;

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

    /// <summary>Opens a connection for reading the user shard that holds <paramref name="userId"/>'s orders, as <paramref name="options"/> say.</summary>
    /// <param name="userId">The user ID (positive).</param>
    /// <param name="options">
    /// Preference, causal token, maximum lag and essentialness of the read; a <see cref="ReadPreference"/> converts to it
    /// (<c>OpenUserShardAsync(userId, ReadPreference.Primary)</c>).
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative, or the preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenUserShardAsync(long userId, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteUser(userId), options, cancellationToken);

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

    /// <summary>Opens a connection for reading the merchant shard that holds <paramref name="merchantId"/>'s orders, as <paramref name="options"/> say.</summary>
    /// <param name="merchantId">The merchant ID (positive).</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read; a <see cref="ReadPreference"/> converts to it.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is zero or negative, or the preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenMerchantShardAsync(long merchantId, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteMerchant(merchantId), options, cancellationToken);

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

    /// <summary>Opens a connection for reading the shard of <paramref name="dimension"/> that holds the order, as <paramref name="options"/> say.</summary>
    /// <param name="orderId">The order ID.</param>
    /// <param name="dimension">Which copy of the order: the user's or the merchant's.</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read; a <see cref="ReadPreference"/> converts to it.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException">The preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/> when the genes name a shard the map does not have;
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenOrderShardAsync(OrderId orderId, ShardDimension dimension, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteOrder(orderId, dimension), options, cancellationToken);

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

        var transaction = _ambient.Transaction;
        if (transaction is not null)
        {
            _ambient.EnsureSameShard(transaction, slot);
            if (transaction.IsReadOnly)
            {
                throw new InvalidOperationException(
                    $"A read-only ShardKit transaction is open on shard {slot.Name}; finish it before writing to the shard.");
            }

            return new ValueTask<ShardConnection>(new ShardConnection(_ambient, slot, transaction.Endpoint, transaction.Connection, intent, transaction));
        }

        return _connector.OpenAsync(slot, _pools.PrimaryOf(_topology.State, slot), intent, nonEssential: false, cancellationToken);
    }

    /// <summary>
    /// Opens a connection for reading the shard of <paramref name="route"/>, as <paramref name="options"/> say. A replica serves
    /// the read when it is not ejected, within the maximum lag, its breaker is closed and (with a causal token) it has
    /// applied the token's write within <see cref="ShardKitOptions.CausalReadWait"/>; among several, the one with the fewest
    /// connections held. With <see cref="ReadPreference.PreferReplica"/> the primary serves it otherwise, within the
    /// cluster's fallback cap (<see cref="ReplicaHealthOptions.FallbackShare"/>; reads with a causal token are not capped).
    /// Inside a ShardKit transaction the transaction's connection serves it.
    /// </summary>
    /// <param name="route">A route from <see cref="Map"/>.</param>
    /// <param name="options">
    /// Preference, causal token, maximum lag and essentialness of the read; a <see cref="ReadPreference"/> converts to it
    /// (<c>OpenAsync(route, ReadPreference.Primary)</c>). A causal token of another cluster is ignored; without one, the
    /// latest token of the route's cluster in an open <see cref="ReadYourWrites"/> scope is used.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException">The preference is not defined, or the maximum lag is negative.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read (transient);
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenAsync(ShardRoute route, ReadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OpenReadAsync(route.Slot, options, cancellationToken);
    }

    /// <summary>
    /// Runs an idempotent read on the shard of <paramref name="route"/>: opens a connection as <paramref name="options"/> say,
    /// runs <paramref name="read"/> on it and disposes it. When the open or the read fails with a transient error (the
    /// server could not be reached, the connection was lost, a deadlock), the whole read runs again on a freshly chosen
    /// server, up to <see cref="EndpointResilienceOptions.ReadRetries"/> times (Polly retry, no delay). Inside a ShardKit
    /// transaction it runs once, on the transaction's connection. <see cref="ShardKitErrorCode.Overloaded"/> is never retried.
    /// </summary>
    /// <typeparam name="T">What the read returns.</typeparam>
    /// <param name="route">A route from <see cref="Map"/>.</param>
    /// <param name="read">The read; it must have no side effects, because it may run more than once.</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness; null for <see cref="ReadOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels the read and its retries.</param>
    /// <exception cref="ShardKitException">The last attempt's failure, as the open methods describe.</exception>
    public async Task<T> ReadAsync<T>(ShardRoute route, Func<ShardConnection, CancellationToken, Task<T>> read, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = (Owner: this, Route: route, Read: read, Options: options ?? ReadOptions.Default);
        var pipeline = _ambient.Transaction is null ? _topology.State.ReadRetry : ResiliencePipeline.Empty;
        return await pipeline.ExecuteAsync(
            static async (s, ct) =>
            {
                var shard = await s.Owner.OpenAsync(s.Route, s.Options, ct).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    return await shard.RunInSpanAsync(s.Read, ct).ConfigureAwait(false);
                }
            },
            state,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a write on the shard <paramref name="route"/> picks from the current map. When the database refuses it because the
    /// shard was moved to another cluster (<c>shardkit move-shard</c>: the shard's fence raises SQLSTATE 45000), the placement is
    /// re-read at once and <paramref name="write"/> runs again on the shard's new cluster; the refused attempt was rolled back by
    /// the database. Inside a ShardKit transaction it runs once.
    /// </summary>
    /// <typeparam name="T">What the write returns.</typeparam>
    /// <param name="route">Picks the shard from a map, for example <c>map =&gt; map.RouteUser(userId)</c>; called again for a retry.</param>
    /// <param name="write">The write, on a primary connection of the shard; it may run more than once, each time in a fresh transaction of its own.</param>
    /// <param name="cancellationToken">Cancels the write and the wait for the new placement.</param>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.ShardMoved"/> (transient) when the shard moved and the new placement was not seen within
    /// <see cref="ShardMovesOptions.RetryWait"/> (or <see cref="ShardKitOptions.ShardMoves"/> is not set); the open failures of
    /// <see cref="OpenAsync(ShardRoute, ShardIntent, CancellationToken)"/>.
    /// </exception>
    public async Task<T> WriteAsync<T>(Func<ShardMap, ShardRoute> route, Func<ShardConnection, CancellationToken, Task<T>> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(write);
        var retryable = _ambient.Transaction is null;
        return await _moves.RunAsync(
            async ct =>
            {
                var shard = await OpenAsync(route(Map), ShardIntent.Write, ct).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    return await shard.RunInSpanAsync(write, ct).ConfigureAwait(false);
                }
            },
            retryable,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a "read your own writes" scope on the current async flow: writes committed on the flow while it is open hand
    /// their causal tokens to it, and replica reads on the flow use them, so a request always sees its own writes without
    /// passing tokens around. Use it with <c>using</c> at the start of a request.
    /// </summary>
    /// <example>
    /// <code>
    /// using var scope = shards.ReadYourWrites();
    /// await using (var write = await shards.OpenUserShardAsync(userId, ShardIntent.Write)) { /* insert */ }
    /// await using var read = await shards.OpenUserShardAsync(userId, ShardIntent.Read);  // sees the insert
    /// </code>
    /// </example>
    public ReadYourWritesScope ReadYourWrites()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _ambient.BeginReadYourWrites();
    }

    /// <summary>
    /// Runs one probe round now, in addition to the background ones: writes the heartbeat on every primary that has
    /// replicas and measures each replica's lag, ejecting or re-admitting replicas as <see cref="ReplicaHealthOptions"/> say.
    /// </summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    public Task ProbeReplicasAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _prober.ProbeAsync(cancellationToken);
    }

    /// <summary>What ShardKit knows now about every endpoint of the current map: each cluster's primary, then its replicas.</summary>
    public IReadOnlyList<EndpointStatus> GetEndpointStatuses() => _topology.State.GetEndpointStatuses();

    /// <summary>
    /// Opens <paramref name="connectionsPerEndpoint"/> connections at once to every primary and replica of the current
    /// map and returns them to their pools, so that a traffic peak (a promotion) does not start by paying for
    /// connection set-up. Endpoints are warmed in parallel; one that fails does not stop the others and is named in
    /// <see cref="WarmUpResult.Failures"/>.
    /// </summary>
    /// <param name="connectionsPerEndpoint">Connections to hold open at once per endpoint, 1 to <see cref="MaxWarmUpConnectionsPerEndpoint"/>; keep it within the provider's maximum pool size.</param>
    /// <param name="cancellationToken">Cancels the warm-up.</param>
    public Task<WarmUpResult> WarmUpAsync(int connectionsPerEndpoint = 4, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connectionsPerEndpoint, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connectionsPerEndpoint, MaxWarmUpConnectionsPerEndpoint);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return PoolWarmer.WarmUpAsync(_topology.State.Endpoints(), connectionsPerEndpoint, cancellationToken);
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
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/> when it cannot be opened.</exception>
    internal ValueTask<DbConnection> OpenClusterAsync(ShardCluster cluster, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _connector.OpenClusterAsync(cluster, cancellationToken);
    }

    /// <summary>Opens a connection to replica <paramref name="index"/> of <paramref name="cluster"/> (for replica-lag checks).</summary>
    /// <exception cref="DbException">The replica cannot be reached.</exception>
    /// <exception cref="TimeoutException">The replica did not answer in time.</exception>
    internal ValueTask<DbConnection> OpenReplicaAsync(ShardCluster cluster, int index, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _connector.OpenWithTimeoutAsync(_topology.State.Replicas[cluster.Index][index], cancellationToken);
    }

    /// <summary>Opens a connection to the legacy database's server (<see cref="ShardMap.Legacy"/>), for the online migration.</summary>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidTopology"/>: no legacy endpoint (with a database) is configured;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/>: the server cannot be reached.
    /// </exception>
    internal ValueTask<DbConnection> OpenLegacyAsync(CancellationToken cancellationToken) =>
        _connector.OpenLegacyAsync(Map.Legacy, cancellationToken);

    /// <summary>
    /// Opens a connection to replica <paramref name="index"/> of the legacy database (<see cref="ShardMap.LegacyReplicas"/>), for
    /// the migration's reads, within the connect timeout; its sessions are marked like <see cref="OpenLegacyAsync"/>'s.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no legacy replica <paramref name="index"/>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the replica cannot be reached.</exception>
    internal ValueTask<DbConnection> OpenLegacyReplicaAsync(int index, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var replicas = Map.LegacyReplicas;
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, replicas.Count);
        return _connector.OpenLegacyReplicaAsync(replicas[index], index, cancellationToken);
    }

    /// <summary>Runs <paramref name="body"/>, and again on a moved shard's new cluster when its fence refuses it (when <paramref name="retryable"/>).</summary>
    internal Task<T> RetryOnMovedAsync<T>(Func<CancellationToken, Task<T>> body, bool retryable, CancellationToken cancellationToken) =>
        _moves.RunAsync(body, retryable, cancellationToken);

    /// <summary>Every endpoint of the current map, primaries first, then each cluster's replicas.</summary>
    internal IEnumerable<EndpointState> CurrentEndpoints() => _topology.State.Endpoints();

    /// <summary>Re-reads the placement overrides now and swaps in a new map when they changed; returns whether it did.</summary>
    internal Task<bool> RefreshPlacementAsync(CancellationToken cancellationToken) => _topology.RefreshPlacementAsync(cancellationToken);

    private ValueTask<ShardConnection> OpenReadAsync(ShardSlot slot, ReadOptions options, CancellationToken cancellationToken)
    {
        ReplicaRouter.Validate(options);

        // Inside a transaction everything is served by the transaction's connection.
        var transaction = _ambient.Transaction;
        if (transaction is not null)
        {
            _ambient.EnsureSameShard(transaction, slot);
            return new ValueTask<ShardConnection>(new ShardConnection(_ambient, slot, transaction.Endpoint, transaction.Connection, ShardIntent.Read, transaction));
        }

        return _replicas.OpenAsync(_topology.State, slot, options, cancellationToken);
    }

    private List<DbDataSource> BeginDispose()
    {
        if (_disposed)
        {
            return [];
        }

        _disposed = true;
        _topology.Dispose();
        _prober.Dispose();
        _metrics.Dispose();
        return _pools.Close();
    }
}
