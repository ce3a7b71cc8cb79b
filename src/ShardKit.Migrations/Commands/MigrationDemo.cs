using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// The live migration, as a reusable piece of <c>shardkit demo</c>: given a started topology with a legacy server, seeds
/// the legacy database with order history, runs application writers through a <see cref="MigratingOrderStore"/> while
/// running plan → start → backfill → verify → cutover of every bucket, then checks every acknowledged write on the shards
/// and both dimensions, and returns the report (backfill rate against a plain dump-and-reload, pause per bucket, errors).
/// </summary>
internal static class MigrationDemo
{
    public static async Task<MigrationDemoReport> RunAsync(MariaDbTopology topology, MigrationDemoOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var legacy = topology.Legacy ?? throw new ArgumentException("The topology has no legacy server: start it with MariaDbTopologyOptions.Legacy = true.", nameof(topology));
        const int users = 2000;
        const int merchants = 300;
        log.WriteLine($"seeding {options.LegacyOrders} legacy orders...");
        await legacy.ExecuteAsync(LegacySeed.Script(options.LegacyOrders, users, merchants, seed: 7), cancellationToken);

        double? dumpSeconds = null;
        if (options.MeasureDumpReload)
        {
            (dumpSeconds, _) = await DumpReloadAsync(legacy, topology.Clusters[0].Primary, cancellationToken);
        }

        // The application writes with its account; the migrator runs with the migrator's (docs/migration.md's grants, no SUPER).
        await using var dataSource = new ShardKitDataSourceBuilder(Options(topology, options.ShardCount)).Build();
        await using var migratorSource = new ShardKitDataSourceBuilder(Options(topology, options.ShardCount, migratorAccount: true)).UseMigratorSessions().Build();
        var migratorOptions = new MigratorOptions();
        using var migrator = new Migrator(migratorSource, migratorOptions);
        log.WriteLine("migrate plan...");
        await migrator.PlanAsync(cancellationToken);

        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, ShardCount = options.ShardCount });
        await using var store = new MigratingOrderStore(dataSource, generator, new MigratingOrderStoreOptions { PollInterval = TimeSpan.FromMilliseconds(250), WriterId = "demo-app" });
        var workload = new MigrationWorkload(store, new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 2, ShardCount = options.ShardCount }), users, merchants, options.LegacyOrders);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var traffic = workload.RunAsync(options.Writers, options.ThinkTime, stop.Token);
        try
        {
            await Task.Delay(500, cancellationToken);
            log.WriteLine("migrate start (capture, waiting for the writers' acknowledgement)...");
            var pending = await migrator.StartAsync(cancellationToken);
            if (pending.Count > 0)
            {
                throw new InvalidOperationException($"{pending.Count} writer(s) did not acknowledge CAPTURE.");
            }

            log.WriteLine("migrate backfill...");
            var clock = Stopwatch.StartNew();
            await migrator.BackfillAsync(progress: null, cancellationToken);
            var backfillSeconds = clock.Elapsed.TotalSeconds;
            log.WriteLine("migrate verify...");
            await migrator.VerifyAsync(repair: false, buckets: null, progress: null, cancellationToken);
            log.WriteLine("migrate cutover --all...");
            var cutover = await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(1), cancellationToken);
            var retry = cutover.Where(c => !c.Switched).Select(c => c.Bucket).ToList();
            if (retry.Count > 0)
            {
                cutover = [.. cutover.Where(c => c.Switched), .. await migrator.CutoverAsync(retry, TimeSpan.FromSeconds(1), cancellationToken)];
            }

            await Task.Delay(500, cancellationToken);
            await stop.CancelAsync();
            await traffic;

            log.WriteLine("checking every acknowledged write and both dimensions...");
            var problems = await workload.CheckAsync(async id =>
            {
                using var target = new TwoDimensionOrderStore(dataSource);
                return await target.GetAsync(id, cancellationToken);
            });
            var final = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, cancellationToken);
            var dimensions = await new DimensionVerifier(migratorSource).VerifyAsync(cancellationToken: cancellationToken);
            var pauses = cutover.Where(c => c.Switched).Select(c => c.PauseMs).ToList();
            return new MigrationDemoReport(
                options.LegacyOrders,
                options.ShardCount,
                backfillSeconds,
                options.LegacyOrders / backfillSeconds,
                dumpSeconds,
                dumpSeconds is { } d ? options.LegacyOrders / d : null,
                migratorOptions.ChunkSize,
                MigrationWorkload.Percentile(pauses, 0.5),
                MigrationWorkload.Percentile(pauses, 0.99),
                pauses.DefaultIfEmpty(0).Max(),
                workload.Operations,
                workload.Errors,
                problems.Count(p => p.Contains(": lost", StringComparison.Ordinal)),
                problems.Count(p => p.Contains(": resurrected", StringComparison.Ordinal)),
                problems.Count(p => p.Contains(": expected", StringComparison.Ordinal)),
                final.All(r => r.Equal) && cutover.All(c => c.Switched),
                dimensions.Equal);
        }
        finally
        {
            await stop.CancelAsync();
            await traffic;
        }
    }

    /// <summary>
    /// The topology's ShardKit options with the legacy database named and <paramref name="shardCount"/> shards per dimension on all
    /// clusters, with the application's account or (<paramref name="migratorAccount"/>) the migrator's.
    /// </summary>
    public static ShardKitOptions Options(MariaDbTopology topology, int shardCount, bool migratorAccount = false)
    {
        var json = JsonNode.Parse(migratorAccount ? topology.ToMigratorConfigurationJson() : topology.ToConfigurationJson())!;
        var legacy = migratorAccount ? topology.Legacy!.MigratorConnectionString : topology.Legacy!.ConnectionString;
        json["ShardKit"]![nameof(ShardKitOptions.Legacy)] = legacy + ";Database=" + LegacySeed.Database;
        var clusters = topology.Clusters.Count;
        JsonObject Dimension() => new()
        {
            ["ShardCount"] = shardCount,
            ["Placement"] = new JsonArray(Enumerable.Range(0, clusters).Select(c => (JsonNode)new JsonObject
            {
                ["Shards"] = $"{c * shardCount / clusters}-{((c + 1) * shardCount / clusters) - 1}",
                ["Cluster"] = topology.Clusters[c].Name,
            }).ToArray()),
        };
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        var options = new ShardKitOptions();
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
        new ConfigurationBuilder().AddJsonStream(stream).Build().GetSection(ShardKitOptions.SectionName).Bind(options);
        return options;
    }

    /// <summary>
    /// Times <c>mariadb-dump legacy orders order_items | mariadb</c> into a scratch database on <paramref name="target"/>
    /// (the demo's and the migration load tool's baseline): the tables' data, without the capture triggers a planned
    /// migration adds to them; returns the seconds and the orders reloaded.
    /// </summary>
    internal static async Task<(double Seconds, long Orders)> DumpReloadAsync(MariaDbServer legacy, MariaDbServer target, CancellationToken cancellationToken)
    {
        await target.ExecuteAsync("DROP DATABASE IF EXISTS dump_reload; CREATE DATABASE dump_reload;", cancellationToken);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                "-c",
                $"set -o pipefail; mariadb-dump --no-defaults --socket='{legacy.SocketPath}' -uroot --single-transaction --skip-triggers {LegacySeed.Database} orders order_items | mariadb --no-defaults --socket='{target.SocketPath}' -uroot dump_reload",
            },
            RedirectStandardError = true,
        })!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("mariadb-dump | mariadb failed: " + error.Trim());
        }

        var reloaded = long.Parse((await target.QueryScalarAsync("SELECT COUNT(*) FROM dump_reload.orders", cancellationToken))!, System.Globalization.CultureInfo.InvariantCulture);
        await target.ExecuteAsync("DROP DATABASE dump_reload;", cancellationToken);
        return (seconds, reloaded);
    }
}
