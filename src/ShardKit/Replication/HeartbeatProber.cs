using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace ShardKit.Replication;

/// <summary>
/// The background prober of a data source: a timer of its <see cref="TimeProvider"/> that every heartbeat
/// interval writes the heartbeat on each cluster's primary and reads it back from each replica, updating their lag and
/// ejection (<see cref="ReplicaHealth"/>). A round still running when the timer fires again is not overlapped.
/// Probes open connections from the endpoints' pools within the connect timeout, outside breakers and concurrency limits.
/// </summary>
internal sealed class HeartbeatProber : IDisposable
{
    private readonly Func<RoutingState> _state;
    private readonly EndpointConnector _connector;
    private readonly RoutingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Dictionary<string, HeartbeatHistory> _histories = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private TimeSpan _interval;
    private int _running;
    private bool _disposed;

    /// <param name="state">The current routing state (each round probes the clusters of the map current then).</param>
    /// <param name="connector">Opens the probes' connections within the connect timeout.</param>
    /// <param name="metrics">Records ejections.</param>
    /// <param name="logger">Logs failed probes, ejections and re-admissions.</param>
    /// <param name="timeProvider">The clock of the timer and of the lag measurement.</param>
    public HeartbeatProber(Func<RoutingState> state, EndpointConnector connector, RoutingMetrics metrics, ILogger logger, TimeProvider timeProvider)
    {
        _state = state;
        _connector = connector;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    /// <summary>Starts, re-times or (with zero) stops the timer.</summary>
    public void Start(TimeSpan interval)
    {
        lock (_lock)
        {
            if (_disposed || interval == _interval)
            {
                return;
            }

            _interval = interval;
            if (interval <= TimeSpan.Zero)
            {
                _timer?.Dispose();
                _timer = null;
                return;
            }

            if (_timer is null)
            {
                _timer = _timeProvider.CreateTimer(static s => ((HeartbeatProber)s!).OnTick(), this, TimeSpan.Zero, interval);
            }
            else
            {
                _timer.Change(interval, interval);
            }
        }
    }

    /// <summary>Runs one round on every cluster of the current map that has replicas.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var state = _state();
        var rounds = new List<Task>();
        foreach (var cluster in state.Map.Clusters)
        {
            var replicas = state.Replicas[cluster.Index];
            if (replicas.Count > 0)
            {
                rounds.Add(ProbeClusterAsync(state.Primaries[cluster.Index], replicas, state.Health, linked.Token));
            }
        }

        await Task.WhenAll(rounds).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }

        _stopping.Cancel();
    }

    private void OnTick()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        _ = RunAsync();
    }

    private async Task RunAsync()
    {
        try
        {
            await ProbeAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The data source is being disposed.
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private HeartbeatHistory History(EndpointState primary)
    {
        lock (_histories)
        {
            if (!_histories.TryGetValue(primary.Endpoint.ConnectionString, out var history))
            {
                history = new HeartbeatHistory();
                _histories.Add(primary.Endpoint.ConnectionString, history);
            }

            return history;
        }
    }

    private async Task ProbeClusterAsync(EndpointState primary, ReplicaSet replicas, ReplicaHealthOptions options, CancellationToken cancellationToken)
    {
        var history = History(primary);
        long? written = null;
        long writtenAt = 0;
        try
        {
            var connection = await _connector.OpenWithTimeoutAsync(primary, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (!history.TableEnsured)
                {
                    await Heartbeat.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                    history.TableEnsured = true;
                }

                var now = await Heartbeat.ScalarAsync(connection, Heartbeat.PrimaryClock, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The primary returned no clock reading.");
                writtenAt = _timeProvider.GetTimestamp();
                await Heartbeat.ExecuteAsync(connection, Heartbeat.Write(now), cancellationToken).ConfigureAwait(false);
                lock (history)
                {
                    history.Add(now);
                }

                written = now;
            }
        }
        catch (Exception ex) when (ex is DbException or TimeoutException or InvalidOperationException && !_stopping.IsCancellationRequested)
        {
            ReplicationLog.HeartbeatFailed(_logger, ex, primary.Endpoint.Address, primary.Cluster);
        }

        var probes = new Task[replicas.Count];
        for (var i = 0; i < replicas.Count; i++)
        {
            probes[i] = ProbeReplicaAsync(replicas[i], history, written, writtenAt, options, cancellationToken);
        }

        await Task.WhenAll(probes).ConfigureAwait(false);
    }

    private async Task ProbeReplicaAsync(
        EndpointState replica, HeartbeatHistory history, long? written, long writtenAt, ReplicaHealthOptions options, CancellationToken cancellationToken)
    {
        long? shown;
        try
        {
            var connection = await _connector.OpenWithTimeoutAsync(replica, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                shown = await Heartbeat.ScalarAsync(connection, Heartbeat.Read, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is DbException or TimeoutException)
        {
            ReplicationLog.ReplicaProbeFailed(_logger, ex, replica.Endpoint.Address, replica.Cluster);
            Report(replica, replica.Health.RecordFailure(options));
            return;
        }

        if (written is not { } primaryClock || shown is not { } replicaValue)
        {
            replica.Health.RecordReachable();
            return;
        }

        // The primary's clock now: its reading when the heartbeat was written, plus the time elapsed here since.
        var primaryNow = primaryClock + (long)(_timeProvider.GetElapsedTime(writtenAt).Ticks / TimeSpan.TicksPerMicrosecond);
        long lag;
        lock (history)
        {
            lag = history.LagMilliseconds(replicaValue, primaryNow);
        }

        Report(replica, replica.Health.RecordLag(lag, options));
    }

    private void Report(EndpointState replica, HealthTransition transition)
    {
        switch (transition)
        {
            case HealthTransition.Ejected:
                _metrics.RecordEjection(replica);
                ReplicationLog.ReplicaEjected(_logger, replica.Endpoint.Address, replica.Cluster, replica.Health.LagMilliseconds, replica.Health.ConsecutiveFailures);
                break;
            case HealthTransition.Readmitted:
                ReplicationLog.ReplicaReadmitted(_logger, replica.Endpoint.Address, replica.Cluster, replica.Health.LagMilliseconds);
                break;
        }
    }
}
