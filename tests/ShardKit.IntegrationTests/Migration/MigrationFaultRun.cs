using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// One migration driven through the real <c>shardkit</c> CLI (child processes) while application writers run in this
/// process through <see cref="MigratingOrderStore"/> and a <see cref="VersionMonitor"/> watches the shards. Keeps a
/// timestamped log of what was done to the migration (kills, restarts), which every failure message carries.
/// </summary>
internal sealed class MigrationFaultRun : ICliRun, IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;
    private readonly CliRunRecord _record;
    private readonly CancellationTokenSource _stop = new();
    private MigratingOrderStore? _store;
    private Task _traffic = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private Task _replicaReads = Task.CompletedTask;
    private long _replicaReadCount;

    private MigrationFaultRun(MigrationTopology topology, string name, ITestOutputHelper output)
    {
        Topology = topology;
        Name = name;
        _output = output;
        Monitor = new VersionMonitor(topology.Shards);
        _record = new CliRunRecord("migrate", topology.ConfigPath);
    }

    public MigrationTopology Topology { get; }

    /// <summary>What this run is (e.g. <c>seed 3</c>), at the head of every failure message.</summary>
    public string Name { get; }

    public MigrationWorkload? Workload { get; private set; }

    public VersionMonitor Monitor { get; }

    /// <summary>Reads through the replicas that failed (with their errors).</summary>
    public ConcurrentQueue<string> ReplicaReadFailures { get; } = new();

    public long ReplicaReads => Interlocked.Read(ref _replicaReadCount);

    public string Log => _record.Log;

    /// <summary>
    /// A topology with a seeded legacy history, planned in this process (the writers need the fences the plan creates), or
    /// not yet planned when <paramref name="planned"/> is false (the test plans through the CLI).
    /// </summary>
    public static async Task<MigrationFaultRun> StartAsync(string name, int legacyOrders, int replicas, ITestOutputHelper output, bool planned = true, int legacyReplicas = 0)
    {
        var topology = await MigrationTopology.StartAsync(legacyOrders, replicas, legacyReplicas);
        var run = new MigrationFaultRun(topology, name, output);
        try
        {
            if (planned)
            {
                // Set-up, not under test: the plan runs in this process.
                using var planner = topology.NewMigrator();
                await planner.PlanAsync(CancellationToken.None);
            }

            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public void Write(string line) => _record.Write(line);

    /// <summary>
    /// Starts <paramref name="writers"/> application writers (create, update, delete, read, lookups of legacy IDs 1 to
    /// <paramref name="legacyIds"/>, default all) and the version monitor.
    /// </summary>
    public void StartTraffic(int writers, int? legacyIds = null)
    {
        _store = Topology.NewStore(workerId: 11);
        Workload = new MigrationWorkload(_store, Topology.Ids(12), MigrationTopology.Users, MigrationTopology.Merchants, legacyIds ?? Topology.LegacyOrders);
        _traffic = Workload.RunAsync(writers, TimeSpan.FromMilliseconds(10), _stop.Token);
        _watch = Monitor.RunAsync(TimeSpan.FromMilliseconds(150), _stop.Token);
    }

    /// <summary>Reads every user shard through its replicas (<see cref="ReadPreference.PreferReplica"/>) until the traffic stops, counting failures.</summary>
    public void StartReplicaReads()
    {
        var shards = Topology.Shards;
        _replicaReads = Task.Run(async () =>
        {
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var route = shards.Map.GetRoute(ShardDimension.User, i % MigrationTopology.ShardCount);
                try
                {
                    await shards.ReadAsync(route, (shard, ct) => shard.Connection.ExecuteScalarAsync<long>(new CommandDefinition(shard.Sql("SELECT COUNT(*) FROM {orders}"), cancellationToken: ct)));
                    Interlocked.Increment(ref _replicaReadCount);
                }
                catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException)
                {
                    ReplicaReadFailures.Enqueue($"{route.Name}: {ex.Message}");
                }

                await Task.Delay(5);
            }
        });
    }

    public async Task StopTrafficAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_traffic, _watch, _replicaReads);
        await Monitor.SampleAsync();
        Write($"traffic stopped: {Workload?.Operations} operations, {Workload?.Errors} errors, {ReplicaReads} replica reads ({ReplicaReadFailures.Count} failed), {Monitor.Samples} version samples");
    }

    /// <summary>Starts <c>shardkit migrate &lt;args&gt; --config ...</c>; the run kills it when disposed.</summary>
    public CliProcess StartCli(params string[] args) => _record.Start(args);

    public async Task<(int Exit, string Output, string Error)> RunCliAsync(params string[] args)
    {
        var cli = StartCli(args);
        var exit = await cli.WaitForExitAsync(CommandTimeout);
        Write($"`migrate {string.Join(' ', args)}` exited {exit}{(exit == 0 ? "" : ": " + LastLines(cli.Error + cli.Output))}");
        return (exit, cli.Output, cli.Error);
    }

    /// <summary>The migrator's progress as the control schema shows it now.</summary>
    public async Task<ControlProgress> ProgressAsync()
    {
        var control = await Topology.Shards.OpenClusterAsync(Topology.Shards.Map.Clusters[0], CancellationToken.None);
        await using (control)
        {
            var row = await control.QuerySingleAsync<(string? Command, long Cursor, long Moved, string? Switching)>(
                $"""
                SELECT m.command, m.backfill_cursor,
                    (SELECT COUNT(*) FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'import' AND state = 'MOVED'),
                    (SELECT GROUP_CONCAT(shard) FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'import' AND state = 'CUTOVER')
                FROM `{ControlSchema.Name}`.`migration` m WHERE m.id = 1
                """);
            return new ControlProgress(row.Command, row.Cursor, (int)row.Moved, row.Switching);
        }
    }

    /// <summary>What the databases show of a running plan, reverse, rollback or complete (<see cref="MigrationStepProgress"/>).</summary>
    public async Task<MigrationStepProgress> StepProgressAsync()
    {
        var shards = Topology.Shards;
        (string? Command, string? Phase, long Buckets, long Moved, long Completed) control = default;
        var controlConnection = await shards.OpenClusterAsync(shards.Map.Clusters[0], CancellationToken.None);
        await using (controlConnection)
        {
            var tables = await controlConnection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name IN ('migration', @Units)", new { Schema = ControlSchema.Name, ControlSchema.Units });
            if (tables == 2)
            {
                control = await controlConnection.QuerySingleAsync<(string?, string?, long, long, long)>(
                    $"""
                    SELECT (SELECT command FROM `{ControlSchema.Name}`.`migration` WHERE id = 1), (SELECT phase FROM `{ControlSchema.Name}`.`migration` WHERE id = 1),
                        COUNT(*), IFNULL(SUM(state = 'MOVED'), 0), IFNULL(SUM(state = 'COMPLETE'), 0)
                    FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'import'
                    """);
            }
        }

        var prepared = 0;
        long changes = 0;
        foreach (var cluster in shards.Map.GetRoutes(ShardDimension.User).GroupBy(r => r.Cluster))
        {
            var schemas = cluster.Select(r => r.Schema).ToArray();
            var connection = await shards.OpenClusterAsync(cluster.Key, CancellationToken.None);
            await using (connection)
            {
                var found = (await connection.QueryAsync<(string Schema, string Table)>(
                    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name IN ('shardkit_fence', 'shardkit_changes') AND table_schema IN @Schemas",
                    new { Schemas = schemas })).ToList();
                prepared += found.Count(t => t.Table == "shardkit_fence");
                if (changes < 0 || found.Count(t => t.Table == "shardkit_changes") < schemas.Length)
                {
                    changes = -1;
                    continue;
                }

                try
                {
                    changes += await connection.ExecuteScalarAsync<long>("SELECT " + string.Join(" + ", schemas.Select(s => $"(SELECT COUNT(*) FROM `{s}`.`shardkit_changes`)")));
                }
                catch (System.Data.Common.DbException ex) when (ControlSchema.IsMissingTable(ex))
                {
                    changes = -1;
                }
            }
        }

        var sourceFence = await Topology.Legacy.QueryScalarAsync(
            $"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{LegacySeed.Database}' AND table_name = 'shardkit_fence'");
        return new MigrationStepProgress(control.Command, control.Phase, (int)control.Buckets, (int)control.Moved, (int)control.Completed, prepared, sourceFence == "1", changes);
    }

    /// <summary>Waits (up to 30 s) until the topology's data source opens a shard on every cluster.</summary>
    private async Task ReachEveryClusterAsync()
    {
        var map = Topology.Shards.Map;
        var deadline = Stopwatch.StartNew();
        foreach (var route in map.GetRoutes(ShardDimension.User).GroupBy(r => r.Cluster.Name).Select(g => g.First()))
        {
            while (true)
            {
                try
                {
                    await using var shard = await Topology.Shards.OpenAsync(route, ShardIntent.Write);
                    break;
                }
                catch (ShardKitException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
                {
                    await Task.Delay(200);
                }
            }
        }
    }

    /// <summary>
    /// Stops the traffic and checks the end state: the migration is on the shards; every order the writers were told about
    /// is there as they were told (0 lost, 0 resurrected, 0 different); no target version went backwards; the migrator's
    /// verify finds every bucket equal with as many rows on each side; every legacy row has one ShardKit ID of its own (0 duplicated);
    /// the merchant dimension equals the user dimension. With <paramref name="completed"/> the legacy tables are archived: their rows
    /// are checked for IDs, and the shards (which took every write since) against the writers. Returns the control snapshot for comparison with other runs.
    /// </summary>
    public async Task<string> AssertEndStateAsync(bool applicationErrorsExpected = false, bool completed = false)
    {
        await StopTrafficAsync();
        var workload = Workload!;
        var problems = new List<string>();
        if (!applicationErrorsExpected && workload.Errors != 0)
        {
            problems.Add($"{workload.Errors} error(s) reached the application: {string.Join(" | ", workload.ErrorSamples.Take(5))}");
        }

        if (workload.Operations < 100)
        {
            problems.Add($"only {workload.Operations} application operations ran");
        }

        if (workload.StaleReads != 0)
        {
            problems.Add($"{workload.StaleReads} read(s) returned an older version than the writer had been told");
        }

        // A server killed during the run was restarted before this point, but this process's own data source may still be
        // inside its breaker's pause for that server (it saw the failures): wait until it reaches every cluster again.
        await ReachEveryClusterAsync();
        problems.AddRange(await workload.CheckAsync(Topology.ReadTargetAsync));
        problems.AddRange(Monitor.Backwards.Select(b => "version went backwards: " + b));

        long sourceRows;
        long targetRows;
        var legacyOrders = "orders";
        if (completed)
        {
            // The legacy tables were archived when the migration completed; the shards took every write since.
            legacyOrders = "orders_archived";
            var archived = await Topology.Legacy.QueryScalarAsync(
                $"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{LegacySeed.Database}' AND table_name = '{legacyOrders}'");
            sourceRows = archived == "1"
                ? long.Parse((await Topology.Legacy.QueryScalarAsync($"SELECT COUNT(*) FROM `{LegacySeed.Database}`.`{legacyOrders}`"))!, CultureInfo.InvariantCulture)
                : 0;
            targetRows = -1;
            if (sourceRows < Topology.LegacyOrders / 2)
            {
                problems.Add($"{sourceRows} orders archived on the source{(archived == "1" ? "" : " (the legacy tables were not archived)")}");
            }
        }
        else
        {
            IReadOnlyList<BucketVerifyReport> verified;
            using (var verifier = Topology.NewMigrator())
            {
                verified = await verifier.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
            }

            if (verified.Count != MigrationTopology.ShardCount)
            {
                problems.Add($"verify reported {verified.Count} buckets");
            }

            problems.AddRange(verified.Where(b => !b.Equal).Select(b => $"bucket {b.Bucket} differs: source {b.SourceCount} rows {b.SourceChecksum}, target {b.TargetCount} rows {b.TargetChecksum}"));
            sourceRows = verified.Sum(b => b.SourceCount);
            targetRows = verified.Sum(b => b.TargetCount);
            if (sourceRows != targetRows || sourceRows < Topology.LegacyOrders / 2)
            {
                problems.Add($"{sourceRows} orders on the source, {targetRows} on the shards");
            }
        }

        // Every legacy row has one ShardKit ID of its own: the one it carries, or the one derived from its legacy key.
        var id = $"COALESCE(shardkit_order_id, {LegacyOrderIds.Sql(Topology.Shards.Map, "order_id", "user_id", "merchant_id")})";
        var ids = sourceRows == 0 ? "0 0 0" : await Topology.Legacy.QueryScalarAsync($"SELECT CONCAT(COUNT(*), ' ', COUNT(DISTINCT {id}), ' ', SUM({id} IS NULL)) FROM `{LegacySeed.Database}`.`{legacyOrders}`");
        var parts = ids!.Split(' ');
        if (parts[0] != parts[1] || parts[2] != "0" || parts[0] != sourceRows.ToString(CultureInfo.InvariantCulture))
        {
            problems.Add($"legacy {legacyOrders}, distinct ShardKit IDs, rows without one: {ids} (expected {sourceRows} {sourceRows} 0)");
        }

        var dimensions = await new DimensionVerifier(Topology.Shards).VerifyAsync();
        if (targetRows < 0)
        {
            targetRows = dimensions.Shards.Sum(s => s.UserCount);
        }

        if (!dimensions.Equal || dimensions.Shards.Sum(s => s.MerchantCount) != targetRows)
        {
            problems.Add($"merchant dimension: {dimensions.Remaining} difference(s), {dimensions.Shards.Sum(s => s.MerchantCount)} merchant rows for {targetRows} user rows; {string.Join("; ", dimensions.Shards.Where(s => s.Error is not null).Select(s => s.Error))}");
        }

        var snapshot = await ControlSnapshot.ReadAsync(Topology);
        Write($"end state: {workload.Operations} operations, {workload.Expected.Count} orders written, {sourceRows} orders {(completed ? "archived" : "per side")}; {problems.Count} problem(s)");
        _output.WriteLine($"--- {Name}\n{Log}");
        Assert.True(problems.Count == 0, $"{Name}: {problems.Count} problem(s):\n{string.Join("\n", problems.Take(20))}\n--- log\n{Log}");
        return snapshot;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_traffic, _watch, _replicaReads).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _record.DisposeAsync();

        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await Topology.DisposeAsync();
        _stop.Dispose();
    }

    /// <summary>The last two lines of a command's output, on one line (a verify table is long).</summary>
    public static string LastLines(string text) => OneLine(string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(2)));

    public static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Trim();
}
