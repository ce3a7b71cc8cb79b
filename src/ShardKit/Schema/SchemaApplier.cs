using System.Collections.Concurrent;
using System.Data.Common;

namespace ShardKit.Schema;

/// <summary>
/// Rolls a DDL script out to every logical shard, a few shards at a time, without a global stop.
/// Each cluster's primary keeps a log (<c>shardkit.shardkit_schema_log</c>: dimension, shard, script
/// checksum, applied_at) of the shards a script has reached (and gets the replica heartbeat table,
/// <c>shardkit.shardkit_heartbeat</c>, and the shard-lease tables of the background services,
/// <c>shardkit.shardkit_leases</c> and <c>shardkit.shardkit_lease_holders</c>, next to it), so a re-run after a crash or a failure
/// skips the shards already done and retries only the rest.
/// </summary>
/// <example>
/// <code>
/// var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions(), progress: null, ct);
/// if (!result.Succeeded) { /* result.Shards lists each failure */ }
/// </code>
/// </example>
public sealed class SchemaApplier
{
    internal const int MaxParallelism = 64;
    private readonly ShardKitDataSource _dataSource;

    /// <summary>Creates an applier that reaches the shards through <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The routed data source; its current map decides where each shard is.</param>
    public SchemaApplier(ShardKitDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>
    /// The built-in schema of a shard of <paramref name="dimension"/>: <c>CREATE DATABASE IF NOT EXISTS</c> for the
    /// shard's schema, <c>orders</c> and <c>order_items</c> (co-located with their order); on user shards also
    /// <c>shardkit_outbox</c>, <c>shardkit_tombstones</c>, <c>shardkit_key_mappings</c> and <c>shardkit_order_keys</c>;
    /// on merchant shards the <c>deleted</c> flag of the merchant copy. Every statement is idempotent.
    /// </summary>
    /// <param name="dimension">The dimension whose script to return.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is not User or Merchant.</exception>
    public static string GetBuiltInScript(ShardDimension dimension) => dimension switch
    {
        ShardDimension.User or ShardDimension.Merchant => OrderSchema.For(dimension),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be User or Merchant."),
    };

    /// <summary>Applies the script to every shard of the selected dimensions, recording progress per cluster.</summary>
    /// <param name="options">The script, dimensions and parallelism; <see langword="null"/> for the built-in script on all 240 shards.</param>
    /// <param name="progress">Receives each shard's result as it completes.</param>
    /// <param name="cancellationToken">Stops starting new shards; shards already done stay recorded.</param>
    /// <returns>Per-shard results. A failed shard does not stop the others.</returns>
    /// <exception cref="ArgumentException">The script has no statement, or the options are out of range.</exception>
    public async Task<SchemaApplyResult> ApplyAsync(SchemaApplyOptions? options = null, IProgress<SchemaShardResult>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new SchemaApplyOptions();
        OptionsValidator<SchemaApplyOptions>.ThrowIfInvalid(options, nameof(options));

        // The built-in schema differs per dimension and is recorded under one checksum covering both.
        var statements = new Dictionary<ShardDimension, List<string>>();
        foreach (var dimension in options.Dimensions.Distinct())
        {
            statements[dimension] = SqlScript.Split(options.Script ?? GetBuiltInScript(dimension));
            if (statements[dimension].Count == 0)
            {
                throw new ArgumentException("The schema script contains no SQL statement.", nameof(options));
            }
        }

        var checksum = options.Script is null ? OrderSchema.Checksum : SqlScript.Checksum(options.Script);
        var map = _dataSource.Map;
        var routes = options.Dimensions.Distinct().SelectMany(map.GetRoutes).ToList();
        var clusters = await PrepareClustersAsync(routes.Select(r => r.Cluster).Distinct(), checksum, cancellationToken).ConfigureAwait(false);

        var results = new ConcurrentDictionary<ShardRoute, SchemaShardResult>();
        await Parallel.ForEachAsync(
            routes,
            new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = cancellationToken },
            async (route, ct) =>
            {
                var result = await ApplyToShardAsync(route, statements[route.Dimension], checksum, clusters[route.Cluster], ct).ConfigureAwait(false);
                results[route] = result;
                progress?.Report(result);
            }).ConfigureAwait(false);

        return new SchemaApplyResult(checksum, routes.Select(r => results[r]).ToList());
    }

    private async Task<Dictionary<ShardCluster, ClusterLog>> PrepareClustersAsync(IEnumerable<ShardCluster> clusters, string checksum, CancellationToken cancellationToken)
    {
        var logs = new Dictionary<ShardCluster, ClusterLog>();
        foreach (var cluster in clusters)
        {
            try
            {
                var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await SchemaLog.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                    await Replication.Heartbeat.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                    await ShardLeaseSql.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                    var done = await SchemaLog.LoadDoneAsync(connection, checksum, cancellationToken).ConfigureAwait(false);
                    logs[cluster] = new ClusterLog(done, null);
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                logs[cluster] = new ClusterLog([], $"cluster '{cluster.Name}' ({cluster.Primary.Address}) is unavailable: {ex.Message}");
            }
        }

        return logs;
    }

    private async Task<SchemaShardResult> ApplyToShardAsync(ShardRoute route, List<string> statements, string checksum, ClusterLog clusterLog, CancellationToken cancellationToken)
    {
        var time = _dataSource.TimeProvider;
        var started = time.GetTimestamp();
        if (clusterLog.Error is not null)
        {
            return new SchemaShardResult(route, SchemaShardStatus.Failed, TimeSpan.Zero, clusterLog.Error);
        }

        if (clusterLog.Done.Contains(route.Name))
        {
            Log.SchemaShardSkipped(_dataSource.Logger, checksum, route.Name);
            return new SchemaShardResult(route, SchemaShardStatus.Skipped, TimeSpan.Zero, null);
        }

        try
        {
            var shard = await _dataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                foreach (var statement in statements)
                {
                    await SchemaLog.ExecuteAsync(shard.Connection, shard.Sql(statement), cancellationToken).ConfigureAwait(false);
                }

                await SchemaLog.RecordAsync(shard.Connection, route.Slot, checksum, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            var elapsed = time.GetElapsedTime(started);
            Log.SchemaShardApplied(_dataSource.Logger, checksum, route.Name, route.Endpoint.Address, (long)elapsed.TotalMilliseconds);
            return new SchemaShardResult(route, SchemaShardStatus.Applied, elapsed, null);
        }
        catch (Exception ex) when (ex is DbException or ShardKitException)
        {
            Log.SchemaShardFailed(_dataSource.Logger, ex, checksum, route.Name, route.Endpoint.Address);
            return new SchemaShardResult(route, SchemaShardStatus.Failed, time.GetElapsedTime(started), ex.Message);
        }
    }

    private sealed record ClusterLog(HashSet<string> Done, string? Error);
}
