using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;

namespace ShardKit;

/// <content>Following shard moves: placement overrides from the control schema, and writes that retry on a moved shard's new cluster.</content>
public sealed partial class ShardKitDataSource
{
    private static readonly TimeSpan s_placementRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _placementRefresh = new(1, 1);
    private CancellationTokenSource? _placementStop;
    private ShardKitOptions _options = null!;
    private IReadOnlyList<PlacementOverride> _overrides = [];

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
        var retryable = AmbientTransaction is null;
        return await RetryOnMovedAsync(
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
    /// Runs <paramref name="body"/> (which routes with the current map each time) and, when a moved shard's fence refuses it, waits
    /// for the new placement and runs it again (when <paramref name="retryable"/>); otherwise throws <see cref="ShardKitErrorCode.ShardMoved"/>.
    /// </summary>
    internal async Task<T> RetryOnMovedAsync<T>(Func<CancellationToken, Task<T>> body, bool retryable, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return await body(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (MoveSignal.Find(ex) is { } signal)
            {
                if (!retryable || !await WaitForPlacementAsync(signal, started, cancellationToken).ConfigureAwait(false))
                {
                    throw Moved(signal, ex);
                }
            }
        }
    }

    /// <summary>
    /// Re-reads the placement overrides now and swaps in a new map when they changed.
    /// </summary>
    /// <returns>Whether the map changed.</returns>
    internal async Task<bool> RefreshPlacementAsync(CancellationToken cancellationToken)
    {
        var moves = _options.ShardMoves;
        if (moves is null)
        {
            return false;
        }

        await _placementRefresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var map = Map;
            var cluster = ControlSchema.Cluster(map, map.Clusters.FirstOrDefault(c => string.Equals(c.Name, moves.ControlCluster, StringComparison.OrdinalIgnoreCase))?.Name);
            List<PlacementOverride> overrides;
            var connection = await OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
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
                if (Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Information))
                {
                    var moved = string.Join(", ", overrides.Select(o => string.Create(CultureInfo.InvariantCulture, $"{Routing.ShardSlot.FormatName(o.Dimension, o.Shard)}→{o.Cluster} (epoch {o.Epoch})")));
                    Log.PlacementChanged(Logger, overrides.Count, moved);
                }

                return true;
            }
        }
        finally
        {
            _placementRefresh.Release();
        }
    }

    private async Task<bool> WaitForPlacementAsync(MoveSignal signal, long started, CancellationToken cancellationToken)
    {
        if (_options.ShardMoves is not { } moves)
        {
            return false;
        }

        while (true)
        {
            try
            {
                await RefreshPlacementAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ShardKitException)
            {
                // The control cluster is unreachable: keep waiting within the budget.
            }

            var current = Map.GetRoute(signal.Dimension, signal.Shard);
            if (string.Equals(current.Cluster.Name, signal.Cluster, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) >= moves.RetryWait)
            {
                return false;
            }

            await Task.Delay(s_placementRetryDelay, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private ShardKitException Moved(MoveSignal signal, DbException inner)
    {
        var follow = _options.ShardMoves is null
            ? "set ShardKit:ShardMoves so the data source follows moved shards, or update the topology file"
            : "the new placement was not seen in time; retry";
        return new ShardKitException(
            ShardKitErrorCode.ShardMoved,
            $"Shard {signal.ShardName} was moved: cluster '{signal.Cluster}' serves it now and the database refused the write on the old side ({follow}).",
            inner)
        {
            Shard = signal.ShardName,
        };
    }

    private void StartPlacementPolling()
    {
        if (_options.ShardMoves is not { } moves || _placementStop is not null)
        {
            return;
        }

        _placementStop = new CancellationTokenSource();
        var stop = _placementStop.Token;
        _ = Task.Run(() => PollPlacementAsync(moves.PollInterval, stop), CancellationToken.None);
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
                Log.PlacementPollFailed(Logger, ex);
            }

            try
            {
                await Task.Delay(interval, TimeProvider, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void StopPlacementPolling()
    {
        if (_placementStop is { } stop)
        {
            stop.Cancel();
            stop.Dispose();
        }
    }
}
