using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ShardKit.Topology;

/// <summary>
/// Keeps the routing state of a data source current: compiles the topology at start, follows configuration reloads (a
/// valid reload swaps in a new map; an invalid one is logged and ignored) and, with <see cref="ShardKitOptions.ShardMoves"/>,
/// polls the placement overrides of moved shards in the control schema and swaps in a map that routes by them. It is the
/// data source's only poller of the control schema. Readers take <see cref="State"/> once per operation.
/// </summary>
internal sealed class TopologyMonitor : IDisposable
{
    private readonly EndpointPools _pools;
    private readonly EndpointConnector _connector;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _placementRefresh = new(1, 1);
    private readonly IDisposable? _changeSubscription;
    private readonly IDisposable? _ownedMonitor;
    private CancellationTokenSource? _placementStop;
    private ShardKitOptions _options;
    private IReadOnlyList<PlacementOverride> _overrides = [];
    private volatile RoutingState _state;
    private volatile bool _disposed;

    /// <summary>Compiles the initial topology (from <paramref name="monitor"/> when given, else <paramref name="options"/>) and starts following it.</summary>
    /// <param name="options">A fixed topology, when there is no <paramref name="monitor"/>.</param>
    /// <param name="monitor">The topology's options monitor, followed for reloads.</param>
    /// <param name="ownedMonitor">Disposed with this monitor (the builder's own options monitor).</param>
    /// <param name="pools">The endpoint table the states' endpoints come from.</param>
    /// <param name="connector">Opens the control cluster for placement reads.</param>
    /// <param name="logger">Logs map loads, rejected reloads and placement changes.</param>
    /// <param name="timeProvider">The clock of the placement polling and of the read retries' pipeline.</param>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidTopology"/>, naming every bad entry.</exception>
    public TopologyMonitor(
        ShardKitOptions? options,
        IOptionsMonitor<ShardKitOptions>? monitor,
        IDisposable? ownedMonitor,
        EndpointPools pools,
        EndpointConnector connector,
        ILogger logger,
        TimeProvider timeProvider)
    {
        _pools = pools;
        _connector = connector;
        _logger = logger;
        _timeProvider = timeProvider;
        _ownedMonitor = ownedMonitor;

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
        _changeSubscription = monitor?.OnChange(OnOptionsChanged);
        StartPlacementPolling();
    }

    /// <summary>Raised after a configuration reload swapped in a new state (not after a placement change).</summary>
    public event Action<RoutingState>? Reloaded;

    /// <summary>The newest valid routing state.</summary>
    public RoutingState State => _state;

    /// <summary>How the data source follows moved shards, or null when it does not (<see cref="ShardKitOptions.ShardMoves"/>).</summary>
    public ShardMovesOptions? ShardMoves => Volatile.Read(ref _options).ShardMoves;

    /// <summary>Re-reads the placement overrides now and swaps in a new map when they changed.</summary>
    /// <returns>Whether the map changed.</returns>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the control cluster cannot be reached.</exception>
    public async Task<bool> RefreshPlacementAsync(CancellationToken cancellationToken)
    {
        var moves = ShardMoves;
        if (moves is null)
        {
            return false;
        }

        await _placementRefresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var map = _state.Map;
            var cluster = ControlSchema.Cluster(map, map.Clusters.FirstOrDefault(c => string.Equals(c.Name, moves.ControlCluster, StringComparison.OrdinalIgnoreCase))?.Name);
            List<PlacementOverride> overrides;
            var connection = await _connector.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                try
                {
                    overrides = (await connection.QueryAsync<(string Dimension, int Shard, string Cluster, int Epoch)>(new CommandDefinition(
                        ControlSchema.ReadPlacements, cancellationToken: cancellationToken)).ConfigureAwait(false))
                        .Select(r => new PlacementOverride(r.Dimension == "merchant" ? ShardDimension.Merchant : ShardDimension.User, r.Shard, r.Cluster, r.Epoch))
                        .ToList();
                }
                catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
                {
                    overrides = [];
                }
            }

            lock (_stateLock)
            {
                if (overrides.SequenceEqual(_overrides))
                {
                    return false;
                }

                var compiled = TopologyCompiler.Compile(_options, overrides, out _);
                if (compiled is null || _disposed)
                {
                    return false;
                }

                _overrides = overrides;
                _state = CreateState(compiled, _options);
                if (_logger.IsEnabled(LogLevel.Information))
                {
                    var moved = string.Join(", ", overrides.Select(o => string.Create(CultureInfo.InvariantCulture, $"{ShardSlot.FormatName(o.Dimension, o.Shard)}→{o.Cluster} (epoch {o.Epoch})")));
                    Log.PlacementChanged(_logger, overrides.Count, moved);
                }

                return true;
            }
        }
        finally
        {
            _placementRefresh.Release();
        }
    }

    /// <summary>Stops following reloads and placements.</summary>
    public void Dispose()
    {
        lock (_stateLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_placementStop is { } stop)
            {
                stop.Cancel();
                stop.Dispose();
            }
        }

        _changeSubscription?.Dispose();
        _ownedMonitor?.Dispose();
    }

    private RoutingState CreateState(ShardMap map, ShardKitOptions options)
    {
        var primaries = new EndpointState[map.Clusters.Count];
        var replicas = new ReplicaSet[map.Clusters.Count];
        var fallbacks = new FallbackBudget[map.Clusters.Count];
        var resilience = options.Resilience ?? new EndpointResilienceOptions();
        var health = options.ReplicaHealth ?? new ReplicaHealthOptions();
        _pools.UseOptions(resilience, options.Connections ?? new ShardConnectionOptions());
        foreach (var cluster in map.Clusters)
        {
            primaries[cluster.Index] = _pools.Get(cluster.Primary, cluster.Name, isReplica: false);
            primaries[cluster.Index].Configure(resilience, _timeProvider);

            // Primaries' pools exist from the start (a replica's is created by the first read or probe that reaches it).
            _ = primaries[cluster.Index].Pool;
            var set = new EndpointState[cluster.Replicas.Count];
            for (var i = 0; i < set.Length; i++)
            {
                set[i] = _pools.Get(cluster.Replicas[i], cluster.Name, isReplica: true);
                set[i].Configure(resilience, _timeProvider);
            }

            replicas[cluster.Index] = new ReplicaSet(set);
            fallbacks[cluster.Index] = new FallbackBudget(health.FallbackShare, health.FallbackBurst);
        }

        return new RoutingState(map, primaries, replicas, fallbacks, options, ReadRetryPipeline.Create(resilience, _timeProvider, _logger));
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
        RoutingState state;
        lock (_stateLock)
        {
            // Moved shards stay where the placement overrides put them (shardkit move-shard); the file decides everything else.
            map = TopologyCompiler.Compile(options, _overrides, out var errors);
            if (map is null)
            {
                Log.MapRejected(_logger, options.MapVersion, string.Join("; ", errors));
                return;
            }

            try
            {
                state = CreateState(map, options);
                _state = state;
                _options = options;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }

        StartPlacementPolling();
        Reloaded?.Invoke(state);
        LogMapLoaded(map);
    }

    private void LogMapLoaded(ShardMap map)
    {
        var userShards = map.GetShardCount(ShardDimension.User);
        var merchantShards = map.GetShardCount(ShardDimension.Merchant);
        Log.MapLoaded(_logger, map.Version, map.Clusters.Count, userShards, merchantShards);
    }

    private void StartPlacementPolling()
    {
        lock (_stateLock)
        {
            if (_disposed || _options.ShardMoves is not { } moves || _placementStop is not null)
            {
                return;
            }

            _placementStop = new CancellationTokenSource();
            var stop = _placementStop.Token;
            _ = Task.Run(() => PollPlacementAsync(moves.PollInterval, stop), CancellationToken.None);
        }
    }

    private async Task PollPlacementAsync(TimeSpan interval, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await RefreshPlacementAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException)
            {
                Log.PlacementPollFailed(_logger, ex);
            }

            try
            {
                await Task.Delay(interval, _timeProvider, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
