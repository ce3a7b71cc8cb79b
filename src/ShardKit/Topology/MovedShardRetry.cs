using System.Data.Common;
using System.Diagnostics;

namespace ShardKit.Topology;

/// <summary>
/// Runs writes again after a shard move: when a moved shard's fence refuses a write (SQLSTATE 45000 naming the new
/// cluster, <see cref="ShardFenceSignal"/>), it waits until the <see cref="TopologyMonitor"/> routes the shard to that cluster
/// (refreshing the placements at once, then every 50 ms, within <see cref="ShardMovesOptions.RetryWait"/>) and runs the
/// write again; otherwise it throws <see cref="ShardKitErrorCode.ShardMoved"/>.
/// </summary>
internal sealed class MovedShardRetry
{
    private static readonly TimeSpan s_placementRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly TopologyMonitor _monitor;
    private readonly TimeProvider _timeProvider;

    public MovedShardRetry(TopologyMonitor monitor, TimeProvider timeProvider)
    {
        _monitor = monitor;
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// Runs <paramref name="body"/> (which routes with the current map each time) and, when a moved shard's fence refuses it, waits
    /// for the new placement and runs it again (when <paramref name="retryable"/>); otherwise throws <see cref="ShardKitErrorCode.ShardMoved"/>.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> body, bool retryable, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return await body(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (ShardFenceSignal.Find(ex) is { Cluster: not null } signal)
            {
                if (!retryable || !await WaitForPlacementAsync(signal, started, cancellationToken).ConfigureAwait(false))
                {
                    throw Moved(signal, ex);
                }
            }
        }
    }

    private async Task<bool> WaitForPlacementAsync(ShardFenceSignal signal, long started, CancellationToken cancellationToken)
    {
        if (_monitor.ShardMoves is not { } moves)
        {
            return false;
        }

        while (true)
        {
            try
            {
                await _monitor.RefreshPlacementAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ShardKitException)
            {
                // The control cluster is unreachable: keep waiting within the budget.
            }

            var current = _monitor.State.Map.GetRoute(signal.Dimension, signal.Shard);
            if (string.Equals(current.Cluster.Name, signal.Cluster, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (Stopwatch.GetElapsedTime(started) >= moves.RetryWait)
            {
                return false;
            }

            await Task.Delay(s_placementRetryDelay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private ShardKitException Moved(ShardFenceSignal signal, DbException inner)
    {
        var follow = _monitor.ShardMoves is null
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
}
