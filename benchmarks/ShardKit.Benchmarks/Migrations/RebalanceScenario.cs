using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration;
using ShardKit.Migrations.Migration.Moves;
using ShardKit.Migrations.Workload;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// <c>migration --rebalance</c>: a 2 → 4 rebalance of 120 user shards and back, with live writers, on a topology of its own:
/// 4 clusters of one primary (TLS off), each dimension's 120 shards on c0 (0-59) and c1 (60-119), orders seeded through
/// <see cref="TwoDimensionOrderStore"/>. Live writers (<see cref="SampledWriters"/>) create orders for a stretch before the
/// rebalance, then <c>shardkit move-shard plan --clusters c0,c1,c2,c3 --dimension user --execute --parallel N --json</c> runs
/// in-process with the migrator's account (<see cref="Rebalancer"/>: at most N moves at once, never two on one cluster),
/// every moved shard is completed, and <c>plan --clusters c0,c1</c> brings them back the same way. Printed: total time each
/// way, moves, the most that ran at once, pause p50 / p99 / max, the writers' p50 / p99 before and during each way (ratio,
/// same run), errors, and the load average around each figure.
/// </summary>
internal static class RebalanceScenario
{
    private const int Shards = 120;
    private const int Users = 2000;
    private const int Merchants = 300;

    public static async Task<int> RunAsync(MigrationLoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"[rebalance] starting 4 clusters ({LoadAverage.Read()})");
        await using var topology = await MariaDbTopology.StartAsync(
            new MariaDbTopologyOptions { Clusters = 4, Replicas = 0, Tls = false, BufferPoolMegabytes = 128 }, cancellationToken);
        var appConfig = await WriteConfigAsync(topology.ToConfigurationJson(), Path.Combine(topology.Directory, "rebalance-app.json"), cancellationToken);
        var moverConfig = await WriteConfigAsync(topology.ToMigratorConfigurationJson(), Path.Combine(topology.Directory, "rebalance-migrator.json"), cancellationToken);
        var appOptions = Load(appConfig);
        appOptions.ShardMoves = new ShardMovesOptions { PollInterval = TimeSpan.FromMilliseconds(100), RetryWait = TimeSpan.FromSeconds(10) };
        await using var app = new ShardKitDataSourceBuilder(appOptions).Build();
        await using var moverSource = new ShardKitDataSourceBuilder(Load(moverConfig)).UseMigratorSessions().Build();
        using (var store = new TwoDimensionOrderStore(app))
        {
            await store.EnsureSchemaAsync(cancellationToken);
            log.WriteLine($"[rebalance] seeding {options.RebalanceOrders:N0} orders over {Shards} user and {Shards} merchant shards on c0 and c1");
            await SeedAsync(store, options.RebalanceOrders, cancellationToken);
        }

        var writers = SampledWriters.Start(app, options.Writers, Users, Merchants);
        RebalanceLeg outward;
        RebalanceLeg back;
        WriterLatency before;
        string loadBefore;
        try
        {
            var mark = Stopwatch.GetTimestamp();
            loadBefore = LoadAverage.Read();
            log.WriteLine($"[rebalance] {options.Writers} writers, {options.BaselineSeconds} s before the rebalance (load {loadBefore})");
            await Task.Delay(TimeSpan.FromSeconds(options.BaselineSeconds), cancellationToken);
            before = writers.Between(mark, Stopwatch.GetTimestamp());
            log.WriteLine($"[rebalance]   writers before: {before.Writes} writes, p50 {before.P50Ms:F1} ms, p99 {before.P99Ms:F1} ms");

            outward = await LegAsync("2 → 4 (c0,c1 → c0,c1,c2,c3)", moverConfig, "c0,c1,c2,c3", options.Parallel, writers, log, cancellationToken);
            log.WriteLine($"[rebalance] completing the {outward.Switched} moved shards (triggers dropped, old tables archived)");
            var mover = new ShardMover(moverSource, new ShardMoverOptions());
            foreach (var move in await mover.StatusAsync(shardText: null, cancellationToken))
            {
                if (move.State == "MOVED")
                {
                    await mover.CompleteAsync(move.Shard, command: null, cancellationToken);
                }
            }

            back = await LegAsync("4 → 2 (c0,c1,c2,c3 → c0,c1)", moverConfig, "c0,c1", options.Parallel, writers, log, cancellationToken);
        }
        finally
        {
            await writers.StopAsync();
        }

        Write(log, options, before, loadBefore, [outward, back], writers);
        return outward.Failure is null && back.Failure is null ? 0 : 1;
    }

    /// <summary>Runs <c>move-shard plan --execute</c> onto <paramref name="clusters"/> as a user would, timed, with the writers' latency over the same stretch.</summary>
    private static async Task<RebalanceLeg> LegAsync(string name, string config, string clusters, int parallel, SampledWriters writers, TextWriter log, CancellationToken cancellationToken)
    {
        string[] args = ["plan", "--config", config, "--clusters", clusters, "--dimension", "user", "--execute", "--parallel", parallel.ToString(CultureInfo.InvariantCulture), "--json"];
        log.WriteLine($"[rebalance] shardkit move-shard {string.Join(' ', args).Replace(config, "FILE", StringComparison.Ordinal)}");
        var output = new StringWriter();
        var error = new StringWriter();
        var loadBefore = LoadAverage.Read();
        var mark = Stopwatch.GetTimestamp();
        var exit = await MoveShardCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        var end = Stopwatch.GetTimestamp();
        var loadAfter = LoadAverage.Read();
        var during = writers.Between(mark, end);
        var seconds = Stopwatch.GetElapsedTime(mark, end).TotalSeconds;
        if (!output.ToString().TrimStart().StartsWith('{'))
        {
            return new RebalanceLeg(name, 0, 0, 0, seconds, [], during, loadBefore, loadAfter, exit, error.ToString().Trim());
        }

        var report = JsonDocument.Parse(output.ToString()).RootElement;
        var results = report.GetProperty("results").EnumerateArray().ToList();
        var schedule = report.GetProperty("schedule").EnumerateArray()
            .Select(m => (Started: m.GetProperty("startedAt").GetDateTimeOffset(), Finished: m.GetProperty("finishedAt").GetDateTimeOffset())).ToList();
        var atOnce = schedule.Select(m => schedule.Count(o => o.Started <= m.Started && m.Started < o.Finished)).DefaultIfEmpty(0).Max();
        var switched = results.Where(r => r.GetProperty("switched").GetBoolean()).ToList();
        var failures = results.Where(r => !r.GetProperty("switched").GetBoolean()).Select(r => $"{r.GetProperty("shard").GetString()}: {r.GetProperty("error").GetString()}").ToList();
        var leg = new RebalanceLeg(
            name, results.Count, switched.Count, atOnce, seconds, switched.Select(r => r.GetProperty("pauseMs").GetDouble()).Where(p => p > 0).ToList(), during, loadBefore, loadAfter, exit,
            exit == 0 ? null : string.Join("; ", failures.DefaultIfEmpty(error.ToString().Trim())));
        log.WriteLine($"[rebalance]   {leg.Switched}/{leg.Moves} moves switched in {leg.Seconds:F1} s, at most {leg.MaxAtOnce} at once; writers p50 {during.P50Ms:F1} ms, p99 {during.P99Ms:F1} ms (load {loadBefore} → {loadAfter}){(leg.Failure is null ? "" : "; " + leg.Failure)}");
        return leg;
    }

    private static void Write(TextWriter output, MigrationLoadOptions options, WriterLatency before, string loadBefore, IReadOnlyList<RebalanceLeg> legs, SampledWriters writers)
    {
        output.WriteLine();
        output.WriteLine($"## Rebalance of {Shards} user shards with live writes: --parallel {options.Parallel}, {options.RebalanceOrders:N0} orders seeded, {options.Writers} writers (one order create every 10 ms each)");
        output.WriteLine();
        output.WriteLine("| Way | Moves switched | At most at once | Total s | Shards/min | Pause p50 / p99 / max ms | Writers p50 ms (before → during) | Writers p99 ms (before → during) | p99 ratio | Writes during (/s) | Load before → after |");
        output.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var leg in legs)
        {
            var p = leg.PausesMs;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {leg.Name} | {leg.Switched} / {leg.Moves} | {leg.MaxAtOnce} | {leg.Seconds:F1} | {leg.Switched / Math.Max(leg.Seconds / 60, 1e-9):F1} | {MigrationWorkload.Percentile(p, 0.5):F1} / {MigrationWorkload.Percentile(p, 0.99):F1} / {p.DefaultIfEmpty(0).Max():F1} | " +
                $"{before.P50Ms:F1} → {leg.Writers.P50Ms:F1} | {before.P99Ms:F1} → {leg.Writers.P99Ms:F1} | **{leg.Writers.P99Ms / Math.Max(before.P99Ms, 1e-9):F2}×** | {leg.Writers.Writes:N0} ({leg.Writers.PerSecond:F0}) | {leg.LoadBefore} → {leg.LoadAfter} |"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Writers before the rebalance ({options.BaselineSeconds} s, load {loadBefore}): {before.Writes:N0} writes ({before.PerSecond:F0}/s), p50 {before.P50Ms:F1} ms, p99 {before.P99Ms:F1} ms, max {before.MaxMs:F1} ms."));
        output.WriteLine($"Writer errors over the whole run: {writers.Errors}{(writers.Errors > 0 ? " — " + string.Join("; ", writers.ErrorSamples) : "")}.");
        foreach (var leg in legs.Where(l => l.Failure is not null))
        {
            output.WriteLine($"{leg.Name}: exit {leg.ExitCode}: {leg.Failure}");
        }
    }

    /// <summary>Creates <paramref name="orders"/> orders with 8 loops (random users and merchants, 1–3 items each).</summary>
    private static async Task SeedAsync(TwoDimensionOrderStore store, int orders, CancellationToken cancellationToken)
    {
        var target = new StoreOrderTarget(store, new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 5, ShardCount = Shards }), "seed");
        var left = orders;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(loop => Task.Run(async () =>
        {
            var random = new Random(900 + loop);
            while (Interlocked.Decrement(ref left) >= 0)
            {
                await target.CreateAsync(WorkloadRunner.NewOrder(random, Users, Merchants), cancellationToken);
            }
        }, cancellationToken)));
    }

    /// <summary>The topology file with each dimension's 120 shards on c0 (0-59) and c1 (60-119): the 2-cluster starting point.</summary>
    private static async Task<string> WriteConfigAsync(string topologyJson, string path, CancellationToken cancellationToken)
    {
        var json = JsonNode.Parse(topologyJson)!;
        JsonObject Dimension() => new()
        {
            ["ShardCount"] = Shards,
            ["Placement"] = new JsonArray(
                new JsonObject { ["Shards"] = $"0-{(Shards / 2) - 1}", ["Cluster"] = "c0" },
                new JsonObject { ["Shards"] = $"{Shards / 2}-{Shards - 1}", ["Cluster"] = "c1" }),
        };
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        await File.WriteAllTextAsync(path, json.ToJsonString(), cancellationToken);
        return path;
    }

    private static ShardKitOptions Load(string path)
    {
        var options = new ShardKitOptions();
        new ConfigurationBuilder().AddJsonFile(path).Build().GetSection(ShardKitOptions.SectionName).Bind(options);
        return options;
    }
}
