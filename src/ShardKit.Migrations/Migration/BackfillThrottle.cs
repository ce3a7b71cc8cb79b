using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// Holds the backfill back while the source is busy (<c>Threads_running</c> above the limit), while a target replica lags
/// more than allowed, while a running application instance reports a 99th-percentile latency above the limit, or while the
/// copy runs ahead of its row rate. The load is checked at most once a second; an unreachable replica does not stop the
/// copy (it is not serving reads); an account that may not read a replica's status (no <c>SLAVE MONITOR</c>) does.
/// </summary>
internal sealed class BackfillThrottle
{
    private static readonly TimeSpan s_checkInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_backoff = TimeSpan.FromMilliseconds(250);

    // ER_SPECIFIC_ACCESS_DENIED_ERROR: "you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation".
    private const int SpecificAccessDenied = 1227;

    private readonly ShardKitDataSource _dataSource;
    private readonly MigratorOptions _options;
    private long _lastCheck = -1;

    public BackfillThrottle(ShardKitDataSource dataSource, MigratorOptions options)
    {
        _dataSource = dataSource;
        _options = options;
    }

    /// <summary>The largest replica lag seen at the last check.</summary>
    public TimeSpan LastLag { get; private set; }

    /// <summary>The highest application 99th-percentile latency reported at the last check; null when not checked or none reported.</summary>
    public TimeSpan? LastApplicationLatency { get; private set; }

    /// <summary>The time spent waiting so far.</summary>
    public TimeSpan Throttled { get; private set; }

    public async Task WaitAsync(long rowsDone, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        if (_options.RowsPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)rowsDone / _options.RowsPerSecond) - elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                Throttled += due;
            }
        }

        if (_lastCheck >= 0 && Stopwatch.GetElapsedTime(_lastCheck) < s_checkInterval)
        {
            return;
        }

        while (true)
        {
            _lastCheck = Stopwatch.GetTimestamp();
            var threads = await ThreadsRunningAsync(cancellationToken).ConfigureAwait(false);
            LastLag = await MaxReplicaLagAsync(cancellationToken).ConfigureAwait(false);
            LastApplicationLatency = _options.MaxApplicationLatency is null ? null : await ApplicationLatencyAsync(cancellationToken).ConfigureAwait(false);
            if (threads <= _options.MaxThreadsRunning && LastLag <= _options.MaxReplicaLag && !(LastApplicationLatency > _options.MaxApplicationLatency))
            {
                return;
            }

            await Task.Delay(s_backoff, cancellationToken).ConfigureAwait(false);
            Throttled += s_backoff;
        }
    }

    private async Task<long> ThreadsRunningAsync(CancellationToken cancellationToken)
    {
        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var row = await source.QuerySingleAsync<(string Name, string Value)>(new CommandDefinition(
                "SHOW GLOBAL STATUS LIKE 'Threads_running'", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return long.Parse(row.Value, CultureInfo.InvariantCulture);
        }
    }

    private async Task<TimeSpan?> ApplicationLatencyAsync(CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(ControlSchema.Cluster(_dataSource.Map, _options.ControlCluster), cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            var milliseconds = await control.ExecuteScalarAsync<double?>(new CommandDefinition(
                ControlSchema.ReadApplicationLatency, new { Seconds = _options.WriterTimeout.TotalSeconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
        }
    }

    private async Task<TimeSpan> MaxReplicaLagAsync(CancellationToken cancellationToken)
    {
        var max = TimeSpan.Zero;
        var map = _dataSource.Map;
        foreach (var cluster in map.Clusters.Where(c => c.Replicas.Count > 0))
        {
            var routes = map.GetRoutes(ShardDimension.User).Concat(map.GetRoutes(ShardDimension.Merchant)).Where(r => ReferenceEquals(r.Cluster, cluster)).Take(1).ToList();
            if (routes.Count == 0)
            {
                continue;
            }

            var route = routes[0];
            try
            {
                var replica = await _dataSource.OpenAsync(route, ReadPreference.ReplicaOnly, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (replica.ConfigureAwait(false))
                {
                    var reader = await replica.Connection.ExecuteReaderAsync(new CommandDefinition("SHOW SLAVE STATUS", cancellationToken: cancellationToken)).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            var value = reader.GetValue(reader.GetOrdinal("Seconds_Behind_Master"));
                            var seconds = value is null or DBNull ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture);
                            max = TimeSpan.FromSeconds(Math.Max(max.TotalSeconds, seconds));
                        }
                    }
                }
            }
            catch (MySqlConnector.MySqlException ex) when (ex.Number == SpecificAccessDenied)
            {
                // Not a dead replica: the account may not read replication status, and a throttle that saw no lag would not hold back.
                throw new InvalidOperationException(
                    $"The replica-lag throttle cannot read the replication status of cluster '{cluster.Name}' ({ex.Message.TrimEnd('.')}): " +
                    "grant the migrator's account SLAVE MONITOR (docs/migration.md, \"The migrator's account\").", ex);
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                // A dead or ejected replica serves no reads; it cannot be made stale by the copy.
            }
        }

        return max;
    }
}
