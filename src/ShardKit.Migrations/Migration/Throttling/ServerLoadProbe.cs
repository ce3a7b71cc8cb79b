using System.Data.Common;
using System.Globalization;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration.Throttling;

/// <summary>
/// Reads a copy's load from the servers of a job — the one place the throttle's server-flavour SQL lives: replica lag with
/// <c>SHOW ALL SLAVES STATUS</c> (MariaDB, every replication channel) or <c>SHOW REPLICA STATUS</c> (MySQL) on every replica
/// of the clusters involved (and every legacy replica for the legacy import), <c>Threads_running</c> with <c>SHOW GLOBAL STATUS</c> on their primaries (and the legacy
/// server for the legacy import), and the writers' reported 99th percentile from the control schema. A replica that
/// cannot be reached is skipped (it serves no reads, the copy cannot make it stale), so is a cluster primary (the copy
/// fails on it and says why); an account that may not read replication status (no <c>SLAVE MONITOR</c>) fails, since a
/// throttle that saw no lag would not hold back.
/// </summary>
internal sealed class ServerLoadProbe : ICopyLoadProbe
{
    // ER_SPECIFIC_ACCESS_DENIED_ERROR: "you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation".
    private const int SpecificAccessDenied = 1227;

    private readonly ShardKitDataSource _dataSource;
    private readonly IReadOnlyList<ShardCluster> _clusters;
    private readonly bool _legacy;
    private readonly string? _controlCluster;
    private readonly TimeSpan _writerTimeout;

    /// <param name="dataSource">The topology's data source.</param>
    /// <param name="clusters">The clusters the job reads or writes: their replicas' lag and their primaries' threads count.</param>
    /// <param name="legacy">Whether the legacy server's <c>Threads_running</c> and its replicas' lag count too (the legacy import).</param>
    /// <param name="controlCluster">The cluster holding the control schema (the first when null), where writers report their latency.</param>
    /// <param name="writerTimeout">A writer without a heartbeat for this long no longer counts.</param>
    public ServerLoadProbe(ShardKitDataSource dataSource, IReadOnlyList<ShardCluster> clusters, bool legacy, string? controlCluster, TimeSpan writerTimeout)
    {
        _dataSource = dataSource;
        _clusters = clusters;
        _legacy = legacy;
        _controlCluster = controlCluster;
        _writerTimeout = writerTimeout;
    }

    /// <summary>A probe of every cluster of the topology and the legacy server: the legacy import writes to all of them.</summary>
    public static ServerLoadProbe ForLegacyImport(ShardKitDataSource dataSource, string? controlCluster, TimeSpan writerTimeout) =>
        new(dataSource, dataSource.Map.Clusters, legacy: true, controlCluster, writerTimeout);

    /// <inheritdoc/>
    public async Task<(TimeSpan Lag, string? Where)> MaxReplicaLagAsync(CancellationToken cancellationToken)
    {
        var replicas = new List<(string Name, string Of, string Grant, Func<ValueTask<DbConnection>> Open)>();
        foreach (var cluster in _clusters)
        {
            for (var i = 0; i < cluster.Replicas.Count; i++)
            {
                var index = i;
                replicas.Add(($"{cluster.Replicas[i].Address} of cluster {cluster.Name}", $"cluster '{cluster.Name}'", "SLAVE MONITOR", () => _dataSource.OpenReplicaAsync(cluster, index, cancellationToken)));
            }
        }

        if (_legacy)
        {
            // The legacy replicas the backfill reads its chunks from (docs/migration.md, "Backfill").
            for (var i = 0; i < _dataSource.Map.LegacyReplicas.Count; i++)
            {
                var index = i;
                replicas.Add(($"{_dataSource.Map.LegacyReplicas[i].Address} (legacy replica {i})", $"legacy replica {i}", "SLAVE MONITOR on the legacy servers", () => _dataSource.OpenLegacyReplicaAsync(index, cancellationToken)));
            }
        }

        var max = TimeSpan.Zero;
        string? where = null;
        foreach (var (name, of, grant, open) in replicas)
        {
            try
            {
                var replica = await open().ConfigureAwait(false);
                await using (replica.ConfigureAwait(false))
                {
                    var lag = await ReplicaLagAsync(replica, cancellationToken).ConfigureAwait(false);
                    if (where is null || lag > max)
                    {
                        (max, where) = (lag, name);
                    }
                }
            }
            catch (MySqlConnector.MySqlException ex) when (ex.Number == SpecificAccessDenied)
            {
                throw new InvalidOperationException(
                    $"The replica-lag throttle cannot read the replication status of {of} ({ex.Message.TrimEnd('.')}): " +
                    $"grant the migrator's account {grant} (docs/migration.md, \"The migrator's account\").", ex);
            }
            catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException)
            {
                // A dead or ejected replica serves no reads and no chunks; it cannot be made stale by the copy.
            }
        }

        return (max, where);
    }

    /// <inheritdoc/>
    public async Task<(long Threads, string? Where)> MaxThreadsRunningAsync(CancellationToken cancellationToken)
    {
        var max = 0L;
        string? where = null;
        if (_legacy)
        {
            var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                (max, where) = (await ThreadsRunningAsync(source, cancellationToken).ConfigureAwait(false), "the legacy server");
            }
        }

        foreach (var cluster in _clusters)
        {
            try
            {
                var primary = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
                await using (primary.ConfigureAwait(false))
                {
                    var threads = await ThreadsRunningAsync(primary, cancellationToken).ConfigureAwait(false);
                    if (where is null || threads > max)
                    {
                        (max, where) = (threads, $"the primary of cluster {cluster.Name}");
                    }
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException)
            {
                // The copy itself fails on a primary it cannot reach, and says why.
            }
        }

        return (max, where);
    }

    /// <inheritdoc/>
    public async Task<TimeSpan?> WriterP99Async(CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(ControlSchema.Cluster(_dataSource.Map, _controlCluster), cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            try
            {
                var milliseconds = await control.ExecuteScalarAsync<double?>(new CommandDefinition(
                    ControlSchema.ReadApplicationLatency, new { Seconds = _writerTimeout.TotalSeconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                return milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                // No writer has ever registered (a shard move on a topology that never ran a migration): none reports a latency.
                return null;
            }
        }
    }

    private static async Task<long> ThreadsRunningAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<(string Name, string Value)>(new CommandDefinition(
            "SHOW GLOBAL STATUS LIKE 'Threads_running'", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return long.Parse(row.Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The largest <c>Seconds_Behind_Master</c> (<c>Seconds_Behind_Source</c> on MySQL) over the replica's channels; a channel that reports none (NULL) counts as zero.</summary>
    private static async Task<TimeSpan> ReplicaLagAsync(DbConnection replica, CancellationToken cancellationToken)
    {
        var mariaDb = replica.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        var (sql, column) = mariaDb ? ("SHOW ALL SLAVES STATUS", "Seconds_Behind_Master") : ("SHOW REPLICA STATUS", "Seconds_Behind_Source");
        var seconds = 0d;
        var reader = await replica.ExecuteReaderAsync(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var ordinal = -1;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ordinal = ordinal >= 0 ? ordinal : reader.GetOrdinal(column);
                var value = reader.GetValue(ordinal);
                if (value is not (null or DBNull))
                {
                    seconds = Math.Max(seconds, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                }
            }
        }

        return TimeSpan.FromSeconds(seconds);
    }
}
