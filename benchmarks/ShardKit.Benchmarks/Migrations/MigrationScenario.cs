using System.Diagnostics;
using Dapper;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration;
using ShardKit.Migrations.Migration.Moves;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// One scenario of <c>migration</c> on a topology of its own: 2 clusters of one primary (TLS off) and a standalone legacy server
/// seeded with the demo's legacy history (<see cref="LegacySeed"/>: 2,000 users, 300 merchants, 1–3 items per order).
/// <list type="number">
/// <item><c>mariadb-dump | mariadb</c> of the legacy tables into a scratch schema on c0's primary (the baseline).</item>
/// <item><c>shardkit migrate</c>'s engine (<see cref="Migrator"/>): plan, start, backfill (timed), verify, cutover of all 120
/// buckets (the pause of each), with or without the demo's application writers (<see cref="MigrationWorkload"/> through
/// <see cref="MigratingOrderStore"/>) from start to cutover; then every acknowledged write, the buckets and both dimensions are checked.</item>
/// <item>The baseline again, so the backfill sits between two baseline runs.</item>
/// <item><c>migrate complete</c> (the mover refuses shards while an import is unfinished); the capture triggers' cost to a writer (<see cref="TriggerCostProbe"/>): user shard 0 without, user shard 1 with the move to c1 started.</item>
/// <item><c>shardkit move-shard</c>'s engine (<see cref="ShardMover"/>, default options): user shards 1..N moved from c0 to c1 one
/// after the other, each timed whole (set-up, copy, drains, compare, cutover), with or without live traffic
/// (<see cref="LiveOrderTraffic"/>) on an application data source that follows the moves.</item>
/// </list>
/// </summary>
internal static class MigrationScenario
{
    private const int Shards = 120;
    private const int Users = 2000;
    private const int Merchants = 300;

    public static async Task<MigrationScenarioResult> RunAsync(int orders, bool live, MigrationLoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var name = $"{orders} orders, {(live ? "live writes" : "no writes")}";
        log.WriteLine($"[{name}] starting servers ({LoadAverage.Read()})");
        await using var topology = await MariaDbTopology.StartAsync(
            new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Legacy = true, Tls = false, BufferPoolMegabytes = 256 }, cancellationToken);

        // Creating triggers with the binary log on needs SUPER or this (docs/migration.md, the migrator's account).
        foreach (var cluster in topology.Clusters)
        {
            await cluster.Primary.ExecuteAsync("SET GLOBAL log_bin_trust_function_creators = 1", cancellationToken);
        }

        var legacy = topology.Legacy!;
        var target = topology.Clusters[0].Primary;
        log.WriteLine($"[{name}] seeding the legacy database");
        await SeedAsync(legacy, orders, cancellationToken);

        var servers = new[] { legacy.ProcessId, topology.Clusters[0].Primary.ProcessId, topology.Clusters[1].Primary.ProcessId }.OfType<int>().ToList();
        log.WriteLine($"[{name}] mariadb-dump | mariadb");
        var dumpBefore = await DumpsAsync(legacy, target, orders, options.Dumps, servers, name, log, cancellationToken);

        Measured backfill;
        Measured cutover;
        List<double> pauses;
        int retried;
        long operations = 0;
        long errors = 0;
        var problems = new List<string>();
        bool bucketsEqual;
        bool dimensionsEqual;
        var profile = "";
        // The migrator's sessions pass the capture triggers; the application's must not, so each has its own data source.
        await using (var dataSource = new ShardKitDataSourceBuilder(MigrationDemo.Options(topology, Shards)).UseMigratorSessions().Build())
        await using (var appSource = new ShardKitDataSourceBuilder(MigrationDemo.Options(topology, Shards)).Build())
        {
            using var migrator = new Migrator(dataSource, options.ChunkSize is { } chunkSize ? new MigratorOptions { ChunkSize = chunkSize } : new MigratorOptions());
            await SettleAsync(servers, name, log, cancellationToken);
            log.WriteLine($"[{name}] migrate plan");
            await migrator.PlanAsync(cancellationToken);

            await using var store = new MigratingOrderStore(
                appSource,
                new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, ShardCount = Shards }),
                new MigratingOrderStoreOptions { PollInterval = TimeSpan.FromMilliseconds(250), WriterId = "load-app" });
            var workload = new MigrationWorkload(store, new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 2, ShardCount = Shards }), Users, Merchants, orders);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var traffic = workload.RunAsync(live ? options.Writers : 0, TimeSpan.FromMilliseconds(10), stop.Token);
            try
            {
                await Task.Delay(500, cancellationToken);
                log.WriteLine($"[{name}] migrate start");
                if ((await migrator.StartAsync(cancellationToken)).Count > 0)
                {
                    throw new InvalidOperationException("An application writer did not acknowledge CAPTURE.");
                }

                log.WriteLine($"[{name}] migrate backfill");
                var loadBefore = LoadAverage.Read();
                var clock = Stopwatch.StartNew();
                var cpu = CpuTimes.Start(("client", Environment.ProcessId, false), ("legacy", legacy.ProcessId, false),
                    ("c0", topology.Clusters[0].Primary.ProcessId, false), ("c1", topology.Clusters[1].Primary.ProcessId, false));
                await migrator.BackfillAsync(progress: null, cancellationToken);
                backfill = new Measured(clock.Elapsed.TotalSeconds, orders, loadBefore, LoadAverage.Read());
                profile = $"CPU {cpu.Stop()}; {migrator.CopyProfile}";
                log.WriteLine($"[{name}]   {backfill.Seconds:F1} s, {backfill.OrdersPerSecond:F0} orders/s (load {backfill.Load}); {profile}");

                log.WriteLine($"[{name}] migrate verify, cutover of every bucket");
                await migrator.VerifyAsync(repair: false, buckets: null, progress: null, cancellationToken);
                loadBefore = LoadAverage.Read();
                clock.Restart();
                var results = (await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(1), cancellationToken)).ToList();
                var again = results.Where(r => !r.Switched).Select(r => r.Bucket).ToList();
                retried = again.Count;
                if (again.Count > 0)
                {
                    results = [.. results.Where(r => r.Switched), .. await migrator.CutoverAsync(again, TimeSpan.FromSeconds(1), cancellationToken)];
                }

                cutover = new Measured(clock.Elapsed.TotalSeconds, orders, loadBefore, LoadAverage.Read());
                if (results.Any(r => !r.Switched))
                {
                    throw new InvalidOperationException("Buckets not cut over after a retry: " + string.Join("; ", results.Where(r => !r.Switched).Select(r => $"{r.Bucket}: {r.Error}")));
                }

                pauses = results.Select(r => r.PauseMs).ToList();
                await Task.Delay(500, cancellationToken);
            }
            finally
            {
                await stop.CancelAsync();
                await traffic;
            }

            operations = workload.Operations;
            errors = workload.Errors;
            log.WriteLine($"[{name}] checking every acknowledged write, the buckets and both dimensions");
            problems = await workload.CheckAsync(async id =>
            {
                using var check = new TwoDimensionOrderStore(dataSource);
                return await check.GetAsync(id, cancellationToken);
            });
            foreach (var problem in problems.Take(10).Concat(workload.ErrorSamples.Take(5)))
            {
                log.WriteLine($"[{name}]   {problem}");
            }

            var verified = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, cancellationToken);
            foreach (var bucket in verified.Where(r => !r.Equal).Take(5))
            {
                log.WriteLine($"[{name}]   bucket {bucket.Bucket} differs: source {bucket.SourceCount} orders, target {bucket.TargetCount}; {string.Join("; ", bucket.Differences.Take(3))}");
            }

            bucketsEqual = verified.All(r => r.Equal);
            dimensionsEqual = (await new DimensionVerifier(dataSource).VerifyAsync(cancellationToken: cancellationToken)).Equal;
        }

        log.WriteLine($"[{name}] mariadb-dump | mariadb again");
        var dumpAfter = await DumpsAsync(legacy, target, orders, options.Dumps, servers, name, log, cancellationToken);

        if (options.BackfillOnly)
        {
            return new MigrationScenarioResult(
                orders, live, dumpBefore, dumpAfter, backfill, operations, errors,
                problems.Count(p => p.Contains(": lost", StringComparison.Ordinal)),
                problems.Count(p => p.Contains(": resurrected", StringComparison.Ordinal)),
                problems.Count(p => p.Contains(": expected", StringComparison.Ordinal)),
                bucketsEqual, dimensionsEqual, cutover, pauses, retried, TriggerCost: null, Moves: [], MoveTraffic: null, profile);
        }

        // The shard mover refuses every shard while a legacy import is unfinished: the import is completed first, as a DBA would.
        await using (var completeSource = new ShardKitDataSourceBuilder(MigrationDemo.Options(topology, Shards)).UseMigratorSessions().Build())
        using (var migrator = new Migrator(completeSource, new MigratorOptions()))
        {
            log.WriteLine($"[{name}] migrate complete");
            await migrator.CompleteAsync(cancellationToken);
        }

        var appOptions = MigrationDemo.Options(topology, Shards);
        appOptions.ShardMoves = new ShardMovesOptions { PollInterval = TimeSpan.FromMilliseconds(100), RetryWait = TimeSpan.FromSeconds(10) };
        await using var moverSource = new ShardKitDataSourceBuilder(MigrationDemo.Options(topology, Shards)).UseMigratorSessions().Build();
        await using var app = new ShardKitDataSourceBuilder(appOptions).Build();
        var mover = new ShardMover(moverSource, new ShardMoverOptions());
        var moveTraffic = live ? LiveOrderTraffic.Start(app, options.Traffic, Users, Merchants) : null;
        LiveTrafficSummary? trafficSummary = null;
        TriggerCost triggerCost;
        var moves = new List<MoveFigure>();
        try
        {
            log.WriteLine($"[{name}] capture triggers: move-shard start user:1 → c1, then single-order writes on user:0 (none) and user:1 (triggers)");
            // StartAsync is MoveAsync's first step and expects the move tables of the control schema; a status read creates them.
            await mover.StatusAsync(shardText: null, cancellationToken);
            await mover.StartAsync("user:1", "c1", command: null, cancellationToken);
            triggerCost = await TriggerCostProbe.RunAsync(app, plainShard: 0, capturedShard: 1, options.TriggerRounds, options.TriggerBlock, cancellationToken);
            foreach (var row in triggerCost.Rows)
            {
                log.WriteLine($"[{name}]   {row.Write}: p50 {row.PlainP50:F2} → {row.CapturedP50:F2} ms, p99 {row.PlainP99:F2} → {row.CapturedP99:F2} ms");
            }

            for (var shard = 1; shard <= options.Moves; shard++)
            {
                var text = $"user:{shard}";
                var route = moverSource.Map.GetRoute(ShardDimension.User, shard);
                long shardOrders;
                var source = await moverSource.OpenAsync(route, ShardIntent.Write, cancellationToken);
                await using (source)
                {
                    shardOrders = await source.Connection.ExecuteScalarAsync<long>(new CommandDefinition(source.Sql("SELECT COUNT(*) FROM {orders}"), cancellationToken: cancellationToken));
                }

                var loadBefore = LoadAverage.Read();
                var clock = Stopwatch.StartNew();
                var copy = new MoveCopyTimer();
                var result = await mover.MoveAsync(text, "c1", command: null, copy, cancellationToken);
                var measured = new Measured(clock.Elapsed.TotalSeconds, shardOrders, loadBefore, LoadAverage.Read());
                var status = (await mover.StatusAsync(text, cancellationToken))[0];
                if (!result.Switched)
                {
                    throw new InvalidOperationException($"move of {text} did not switch: {result.Error}");
                }

                moves.Add(new MoveFigure(text, measured, copy.Seconds, status.RowsCopied, status.ChangesApplied, result.PauseMs, result.Switched, StartedBefore: shard == 1));
                log.WriteLine($"[{name}] move {text}: {shardOrders} orders, {status.RowsCopied} rows copied, {status.ChangesApplied} changes, {measured.Seconds:F1} s (copy {copy.Seconds:F1} s), pause {result.PauseMs:F1} ms (load {measured.Load})");
            }
        }
        finally
        {
            if (moveTraffic is not null)
            {
                trafficSummary = await moveTraffic.StopAsync();
                log.WriteLine($"[{name}] live traffic during the moves: {trafficSummary.Operations} operations, {trafficSummary.Errors} errors");
            }
        }

        return new MigrationScenarioResult(
            orders, live, dumpBefore, dumpAfter, backfill, operations, errors,
            problems.Count(p => p.Contains(": lost", StringComparison.Ordinal)),
            problems.Count(p => p.Contains(": resurrected", StringComparison.Ordinal)),
            problems.Count(p => p.Contains(": expected", StringComparison.Ordinal)),
            bucketsEqual, dimensionsEqual, cutover, pauses, retried, triggerCost, moves, trafficSummary, profile);
    }

    /// <summary>The demo's legacy history (<see cref="LegacySeed.Script"/>), sent to the <c>mariadb</c> client 40 statements at a time (200,000 orders are one 60 MB script).</summary>
    private static async Task SeedAsync(MariaDbServer legacy, int orders, CancellationToken cancellationToken)
    {
        var script = LegacySeed.Script(orders, Users, Merchants, seed: 7);
        await legacy.ExecuteAsync(LegacySeed.Schema, cancellationToken);
        var statements = script[LegacySeed.Schema.Length..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var piece in statements.Chunk(40))
        {
            await legacy.ExecuteAsync(string.Join('\n', piece), cancellationToken);
        }
    }

    private static async Task<List<Measured>> DumpsAsync(
        MariaDbServer legacy, MariaDbServer target, int orders, int count, IReadOnlyList<int> servers, string name, TextWriter log, CancellationToken cancellationToken)
    {
        var runs = new List<Measured>();
        for (var i = 0; i < Math.Max(1, count); i++)
        {
            await SettleAsync(servers, name, log, cancellationToken);
            var run = await DumpReload.MeasureAsync(legacy, target, orders, cancellationToken);
            log.WriteLine($"[{name}]   {run.Seconds:F1} s, {run.OrdersPerSecond:F0} orders/s (load {run.Load}); CPU {DumpReload.Cpu}");
            runs.Add(run);
        }

        return runs;
    }

    /// <summary>
    /// Lets the servers finish what the last step left them (purge, page flushing) before the next measured one, so a baseline
    /// run after the backfill is not slowed by the backfill's aftermath, nor the backfill by the seeding's or a dump's.
    /// </summary>
    private static async Task SettleAsync(IReadOnlyList<int> servers, string name, TextWriter log, CancellationToken cancellationToken)
    {
        var (waited, quiet) = await CpuTimes.SettleAsync(servers, TimeSpan.FromSeconds(90), cancellationToken);
        log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{name}]   servers {(quiet ? "quiet" : "still busy")} after {waited.TotalSeconds:F0} s"));
    }
}
