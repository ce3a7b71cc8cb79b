using System.Data.Common;
using System.Globalization;
using ShardKit.Replication;

namespace ShardKit.Schema;

/// <summary>
/// Holds a roll-out wave back while a replica of the clusters it touches lags more than
/// <see cref="SchemaApplyOptions.MaxReplicaLag"/>. Lag is measured with the heartbeat table: a fresh heartbeat (the
/// primary's clock) is written on the primary, and a replica's lag is that clock minus the newest heartbeat it shows.
/// An unreachable replica is reported and not waited for (it is down, not behind).
/// </summary>
internal sealed class ReplicaLagGate(ShardKitDataSource dataSource, SchemaApplyOptions options)
{
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(200);

    public async Task WaitAsync(IEnumerable<ShardCluster> clusters, CancellationToken cancellationToken)
    {
        if (options.MaxReplicaLag is not { } limit)
        {
            return;
        }

        var withReplicas = clusters.Where(c => c.Replicas.Count > 0).ToList();
        while (withReplicas.Count > 0)
        {
            var lagging = new List<string>();
            foreach (var cluster in withReplicas)
            {
                lagging.AddRange(await MeasureAsync(cluster, limit, cancellationToken).ConfigureAwait(false));
            }

            if (lagging.Count == 0)
            {
                return;
            }

            options.OnReplicaLagWait?.Invoke(string.Join("; ", lagging));
            await Task.Delay(PollInterval, dataSource.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The replicas of <paramref name="cluster"/> that lag more than <paramref name="limit"/>, described.</summary>
    private async Task<List<string>> MeasureAsync(ShardCluster cluster, TimeSpan limit, CancellationToken cancellationToken)
    {
        var lagging = new List<string>();
        long now;
        try
        {
            var primary = await dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            await using (primary.ConfigureAwait(false))
            {
                if (await Heartbeat.ScalarAsync(primary, Heartbeat.PrimaryClock, cancellationToken).ConfigureAwait(false) is not { } clock)
                {
                    return lagging;     // no clock reading, nothing to measure against
                }

                now = clock;
                await Heartbeat.ExecuteAsync(primary, Heartbeat.Write(now), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException)
        {
            // The wave's own shards will fail on it and say why.
            return lagging;
        }

        for (var i = 0; i < cluster.Replicas.Count; i++)
        {
            var replica = cluster.Replicas[i];
            try
            {
                var shown = await ReadAsync(cluster, i, cancellationToken).ConfigureAwait(false);
                if (shown is null || shown < now)
                {
                    // Give a healthy replica a moment to apply the heartbeat just written.
                    await Task.Delay(s_settle, dataSource.TimeProvider, cancellationToken).ConfigureAwait(false);
                    shown = await ReadAsync(cluster, i, cancellationToken).ConfigureAwait(false);
                }

                var lag = shown is null ? (TimeSpan?)null : TimeSpan.FromMicroseconds(Math.Max(0, now - shown.Value));
                if (lag is null || lag > limit)
                {
                    var behind = lag is null ? "has no heartbeat yet" : string.Create(CultureInfo.InvariantCulture, $"is {lag.Value.TotalSeconds:0.0} s behind");
                    lagging.Add(string.Create(CultureInfo.InvariantCulture, $"replica {replica.Address} of cluster {cluster.Name} {behind} (limit {limit.TotalSeconds:0.#} s)"));
                }
            }
            catch (DbException ex) when (Migration.ControlSchema.IsMissingTable(ex))
            {
                // The replica has not applied the creation of the heartbeat table yet: it is behind.
                lagging.Add(string.Create(CultureInfo.InvariantCulture, $"replica {replica.Address} of cluster {cluster.Name} has no heartbeat table yet (limit {limit.TotalSeconds:0.#} s)"));
            }
            catch (Exception ex) when (ex is DbException or TimeoutException)
            {
                options.OnReplicaLagWait?.Invoke($"replica {replica.Address} of cluster {cluster.Name} cannot be reached ({ex.Message}); not waiting for it");
            }
        }

        return lagging;
    }

    private async Task<long?> ReadAsync(ShardCluster cluster, int replica, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenReplicaAsync(cluster, replica, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await Heartbeat.ScalarAsync(connection, Heartbeat.Read, cancellationToken).ConfigureAwait(false);
        }
    }
}
