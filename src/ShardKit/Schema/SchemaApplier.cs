using System.Collections.Concurrent;
using System.Data.Common;
using ShardKit.Connections;
using ShardKit.Tables;

namespace ShardKit.Schema;

/// <summary>
/// Rolls a DDL script out to every logical shard, a few shards at a time, without a global stop, under the online rules
/// (docs/online-ddl.md): each <c>ALTER TABLE</c> and <c>CREATE</c>/<c>DROP INDEX</c> with <c>ALGORITHM=INSTANT</c>, else
/// <c>ALGORITHM=INPLACE, LOCK=NONE</c>, else refused unless <see cref="SchemaApplyOptions.AllowBlocking"/>; a canary shard
/// first, then waves, pausing while a replica lags and stopping at the first failure.
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
    /// <c>shardkit_outbox</c>, <c>shardkit_key_mappings</c> and <c>shardkit_order_keys</c>; on both
    /// <c>shardkit_tombstones</c>. Every statement is idempotent.
    /// </summary>
    /// <param name="dimension">The dimension whose script to return.</param>
    /// <param name="shardKitTablesOnly">
    /// Only ShardKit's own tables, without <c>orders</c> and <c>order_items</c>: what a team that declares its own order
    /// tables (<see cref="ShardTablesOptions"/>) applies, its tables coming from its own DDL.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is not User or Merchant.</exception>
    public static string GetBuiltInScript(ShardDimension dimension, bool shardKitTablesOnly = false) => dimension switch
    {
        ShardDimension.User or ShardDimension.Merchant => shardKitTablesOnly ? OrderSchema.OwnTables(dimension) : OrderSchema.For(dimension),
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be User or Merchant."),
    };

    /// <summary>
    /// Applies the script to every shard of the selected dimensions, recording progress per cluster, under the online
    /// rules: per dimension, the first shard not yet done goes alone (the canary), then the rest in waves of
    /// <see cref="SchemaApplyOptions.Parallelism"/> shards; before each wave it waits while a replica of the clusters
    /// involved lags more than <see cref="SchemaApplyOptions.MaxReplicaLag"/>; it stops at the first failure (the running
    /// wave finishes, no new shard starts) unless <see cref="SchemaApplyOptions.StopAtFirstFailure"/> is off.
    /// </summary>
    /// <param name="options">The script, dimensions and parallelism; <see langword="null"/> for the built-in script on all 240 shards.</param>
    /// <param name="progress">Receives each shard's result as it completes.</param>
    /// <param name="cancellationToken">Stops starting new shards; shards already done stay recorded.</param>
    /// <returns>Per-shard results: applied, skipped (done before), failed, or not started (after a failure).</returns>
    /// <exception cref="ArgumentException">The script has no statement, or the options are out of range.</exception>
    public async Task<SchemaApplyResult> ApplyAsync(SchemaApplyOptions? options = null, IProgress<SchemaShardResult>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new SchemaApplyOptions();
        OptionsValidator<SchemaApplyOptions>.ThrowIfInvalid(options, nameof(options));
        var time = _dataSource.TimeProvider;
        var started = time.GetTimestamp();

        // The built-in schema differs per dimension and is recorded under one checksum covering both.
        var dimensions = options.Dimensions.Distinct().ToList();
        var ownTablesOnly = _dataSource.Map.Tables.IsDeclared;
        var statements = new Dictionary<ShardDimension, List<string>>();
        foreach (var dimension in dimensions)
        {
            statements[dimension] = SqlScript.Split(options.Script ?? GetBuiltInScript(dimension, ownTablesOnly));
            if (statements[dimension].Count == 0)
            {
                throw new ArgumentException("The schema script contains no SQL statement.", nameof(options));
            }
        }

        var checksum = options.Script is null ? (ownTablesOnly ? OrderSchema.OwnTablesChecksum : OrderSchema.Checksum) : SqlScript.Checksum(options.Script);
        var map = _dataSource.Map;
        var routes = dimensions.SelectMany(map.GetRoutes).ToList();
        var clusters = await PrepareClustersAsync(routes.Select(r => r.Cluster).Distinct(), checksum, cancellationToken).ConfigureAwait(false);

        var results = new ConcurrentDictionary<ShardRoute, SchemaShardResult>();
        void Report(SchemaShardResult result)
        {
            results[result.Route] = result;
            progress?.Report(result);
        }

        var failed = false;
        foreach (var route in routes)
        {
            var log = clusters[route.Cluster];
            if (log.Error is not null)
            {
                Report(new SchemaShardResult(route, SchemaShardStatus.Failed, TimeSpan.Zero, log.Error));
                failed = true;
            }
            else if (log.Done.Contains(route.Name))
            {
                Log.SchemaShardSkipped(_dataSource.Logger, checksum, route.Name);
                Report(new SchemaShardResult(route, SchemaShardStatus.Skipped, TimeSpan.Zero, null));
            }
        }

        var lag = new ReplicaLagGate(_dataSource, options);
        var plans = new List<(ShardDimension Dimension, RollOutPlan Plan)>();
        foreach (var dimension in dimensions)
        {
            var pending = routes.Where(r => r.Dimension == dimension && !results.ContainsKey(r)).ToList();
            var plan = new RollOutPlan(statements[dimension], options.AllowBlocking);
            plans.Add((dimension, plan));
            var next = 0;
            while (next < pending.Count && !(failed && options.StopAtFirstFailure))
            {
                // The canary goes alone: it decides each statement's algorithm for the shards after it.
                var size = next == 0 ? 1 : options.Parallelism;
                var wave = pending.Skip(next).Take(size).ToList();
                next += wave.Count;
                await lag.WaitAsync(wave.Select(r => r.Cluster).Distinct(), cancellationToken).ConfigureAwait(false);
                var waveResults = await Task.WhenAll(wave.Select(r => ApplyToShardAsync(r, plan, checksum, clusters[r.Cluster], cancellationToken))).ConfigureAwait(false);
                foreach (var result in waveResults)
                {
                    Report(result);
                    failed |= result.Status == SchemaShardStatus.Failed;
                }

                // Interrupted (Ctrl+C): the wave's shards are recorded; a re-run goes on from here.
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        foreach (var route in routes.Where(r => !results.ContainsKey(r)))
        {
            Report(new SchemaShardResult(route, SchemaShardStatus.NotStarted, TimeSpan.Zero, null));
        }

        var algorithms = plans.SelectMany(p => p.Plan.Describe(p.Dimension)).ToList();
        var applied = new SchemaApplyResult(checksum, routes.Select(r => results[r]).ToList(), time.GetElapsedTime(started), algorithms);
        // A data source that holds a reading of the tables (a service's start-up check) gets a fresh one.
        if (applied.Applied > 0 && _dataSource.TableCheck is not null)
        {
            await RefreshTablesAsync(cancellationToken).ConfigureAwait(false);
        }

        return applied;
    }

    /// <summary>Lets the data source see the new shapes (<see cref="ShardKitDataSource.TableCheck"/>); a failed read keeps the old ones.</summary>
    private async Task RefreshTablesAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _dataSource.CheckTablesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or ShardKitException)
        {
            TableLog.TableRefreshFailed(_dataSource.Logger, ex);
        }
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

    private async Task<SchemaShardResult> ApplyToShardAsync(ShardRoute route, RollOutPlan plan, string checksum, ClusterLog clusterLog, CancellationToken cancellationToken)
    {
        var time = _dataSource.TimeProvider;
        var started = time.GetTimestamp();
        try
        {
            var shard = await _dataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                await clusterLog.EnsureStartedTableAsync(shard.Connection, cancellationToken).ConfigureAwait(false);
                var resumed = await SchemaLog.MarkStartedAsync(shard.Connection, route.Slot, checksum, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < plan.Statements.Count; i++)
                {
                    await RunStatementAsync(shard, plan, i, resumed, cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// Runs statement <paramref name="index"/> down its ladder of algorithms, starting where the canary ended up. In a
    /// shard an earlier run started (<paramref name="resumed"/>), an error saying the change is already there counts as done.
    /// </summary>
    private static async Task RunStatementAsync(ShardConnection shard, RollOutPlan plan, int index, bool resumed, CancellationToken cancellationToken)
    {
        var statement = shard.Sql(plan.Statements[index]);
        var ladder = OnlineDdl.Ladder(statement);
        var first = plan.Decided(index) is { } decided && ladder.Contains(decided) ? ladder.ToList().IndexOf(decided) : 0;
        if (plan.Decided(index) == DdlAlgorithm.Blocking)
        {
            first = ladder.Count;
        }

        string? refusal = null;
        for (var step = first; step <= ladder.Count; step++)
        {
            DdlAlgorithm algorithm;
            if (step == ladder.Count)
            {
                if (!plan.AllowBlocking)
                {
                    throw new ShardKitException(ShardKitErrorCode.SchemaFailed, $"statement {index + 1} ({OnlineDdl.Describe(plan.Statements[index])}) would copy the table or block writes: {refusal}; allow blocking DDL (shardkit schema apply --allow-blocking) to run it anyway");
                }

                algorithm = DdlAlgorithm.Blocking;
            }
            else
            {
                algorithm = ladder[step];
            }

            try
            {
                await SchemaLog.ExecuteAsync(shard.Connection, OnlineDdl.With(statement, algorithm), cancellationToken).ConfigureAwait(false);
                plan.Decide(index, algorithm);
                return;
            }
            catch (DbException ex) when (algorithm is DdlAlgorithm.Instant or DdlAlgorithm.InplaceNoLock && OnlineDdl.IsAlgorithmRefused(ex))
            {
                refusal = ex.Message;
            }
            catch (DbException ex) when (resumed && OnlineDdl.IsAlreadyApplied(ex))
            {
                // The previous run got this far before it was interrupted.
                return;
            }
        }
    }

    private sealed class ClusterLog(HashSet<string> done, string? error)
    {
        private readonly Lock _lock = new();
        private Task? _startedTable;

        public HashSet<string> Done { get; } = done;

        public string? Error { get; } = error;

        /// <summary>Creates the started table once per cluster, on the connection of the first shard that needs it.</summary>
        public Task EnsureStartedTableAsync(DbConnection connection, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                return _startedTable ??= SchemaLog.EnsureStartedAsync(connection, cancellationToken);
            }
        }
    }
}
