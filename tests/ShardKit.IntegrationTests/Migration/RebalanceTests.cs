using System.Text.Json;
using Dapper;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// <c>move-shard plan --execute --parallel 2</c>: a rebalance from 2 clusters to 4 and back, through the CLI in-process, while
/// random writers write the moving user shards (orders through ShardKit, notes by raw SQL) and so the moving merchant shards too.
/// </summary>
public sealed class RebalanceTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task RebalancesTwoClustersOntoFourAndBackWithMovesOnDifferentClustersOverlappingAndNothingLost()
    {
        // 2 → 4 moves the upper shard of each old cluster: user:1 and merchant:1 c0 → c2, user:3 and merchant:3 c1 → c3.
        var (topology, workloads) = await StartAsync(orders: 60);
        await using var disposeTopology = topology;
        var config = new[] { "--config", topology.ConfigPath };

        var outward = await RebalanceWhileWritingAsync(topology, workloads, [.. config, "--clusters", "c0,c1,c2,c3", "--parallel", "2", "--chunk-size", "20"]);
        Assert.Equal(["merchant:1 c0->c2", "merchant:3 c1->c3", "user:1 c0->c2", "user:3 c1->c3"], outward.Select(m => $"{m.Shard} {m.From}->{m.To}").Order());
        AssertOverlappedWithoutSharingACluster(outward);
        await AssertPlacedAsync(topology, workloads, new() { ["user:0"] = "c0", ["user:1"] = "c2", ["user:2"] = "c1", ["user:3"] = "c3", ["merchant:1"] = "c2", ["merchant:3"] = "c3" });
        Assert.Empty(JsonDocument.Parse((await ShardMoveCommandTests.RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--json"])).Output).RootElement.GetProperty("moves").EnumerateArray());

        foreach (var shard in new[] { "user:1", "user:3", "merchant:1", "merchant:3" })
        {
            Assert.Equal(0, (await ShardMoveCommandTests.RunAsync(["complete", .. config, "--shard", shard])).Exit);
        }

        // 4 → 2: c2 and c3 are drained, user:1 and merchant:1 back to c0, user:3 and merchant:3 back to c1.
        var back = await RebalanceWhileWritingAsync(topology, workloads, [.. config, "--clusters", "c0,c1", "--parallel", "2", "--chunk-size", "20"]);
        Assert.Equal(["merchant:1 c2->c0", "merchant:3 c3->c1", "user:1 c2->c0", "user:3 c3->c1"], back.Select(m => $"{m.Shard} {m.From}->{m.To}").Order());
        AssertOverlappedWithoutSharingACluster(back);
        await AssertPlacedAsync(topology, workloads, new() { ["user:0"] = "c0", ["user:1"] = "c0", ["user:2"] = "c1", ["user:3"] = "c1", ["merchant:1"] = "c0", ["merchant:3"] = "c1" });
    }

    [Fact]
    public async Task ResumeFinishesSeveralInterruptedMovesOfARebalanceAtOnce()
    {
        var (topology, workloads) = await StartAsync(orders: 40);
        await using var disposeTopology = topology;
        var config = new[] { "--config", topology.ConfigPath };

        // Ctrl+C once two moves copy (a slow cap keeps them copying); both are left interrupted in COPY.
        using (var ctrlC = new CancellationTokenSource())
        {
            var plan = ShardMoveCommandTests.RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--dimension", "user", "--execute", "--parallel", "2", "--chunk-size", "10", "--rows-per-second", "20"], ctrlC.Token);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!plan.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(120))
            {
                var status = (await ShardMoveCommandTests.RunAsync(["status", .. config, "--json"])).Output;
                if (status.TrimStart().StartsWith('[') && JsonDocument.Parse(status).RootElement.EnumerateArray().Count(m => m.GetProperty("state").GetString() == "COPY") == 2)
                {
                    break;
                }

                await Task.Delay(50);
            }

            await ctrlC.CancelAsync();
            var (paused, _, pausedError) = await plan;
            Assert.Equal(Migrations.Commands.MigrateCommand.ExitPaused, paused);
            Assert.Contains("move-shard resume", pausedError, StringComparison.Ordinal);
        }

        var interrupted = JsonDocument.Parse((await ShardMoveCommandTests.RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Equal(["user:1 COPY", "user:3 COPY"], interrupted.EnumerateArray().Select(m => $"{m.GetProperty("shard").GetString()} {m.GetProperty("state").GetString()}").Order());

        using var stop = new CancellationTokenSource();
        var writers = Task.WhenAll(workloads.Select(w => w.RunAsync(writers: 4, stop.Token)));
        var (resumed, resumedOutput, resumedError) = await ShardMoveCommandTests.RunAsync(["resume", .. config, "--parallel", "2"]);
        await Task.Delay(300);
        await stop.CancelAsync();
        await writers;
        _output.WriteLine(resumedOutput + resumedError);
        Assert.Equal(0, resumed);
        Assert.Contains("shard user:1: moved to 'c2' (epoch 1)", resumedOutput, StringComparison.Ordinal);
        Assert.Contains("shard user:3: moved to 'c3' (epoch 1)", resumedOutput, StringComparison.Ordinal);
        await AssertPlacedAsync(topology, workloads, new() { ["user:1"] = "c2", ["user:3"] = "c3" });
    }

    [Fact]
    public async Task AMoveThatFailsStopsNewMovesLetsTheRunningOneFinishAndTheCommandNamesTheShard()
    {
        await using var topology = await ShardMoveTopology.StartAsync(clusters: 4);
        var config = new[] { "--config", topology.ConfigPath };
        // A schema of user:1's name already on c2: its move refuses to start, while user:3 (c1 → c3) runs beside it.
        await topology.Topology.Clusters[2].Primary.ExecuteAsync("CREATE DATABASE sk_user_001; CREATE TABLE sk_user_001.squatter (id INT PRIMARY KEY);");

        var (exit, output, error) = await ShardMoveCommandTests.RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--execute", "--parallel", "2"]);
        _output.WriteLine(output + error);

        Assert.Equal(1, exit);
        Assert.Contains("user:1 not switched: Cluster 'c2' already has schema 'sk_user_001'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        // user:3 was running and finished; no merchant move started after the failure.
        var status = JsonDocument.Parse((await ShardMoveCommandTests.RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Equal(["user:3 MOVED"], status.EnumerateArray().Select(m => $"{m.GetProperty("shard").GetString()} {m.GetProperty("state").GetString()}"));
        Assert.Contains("user:3: c1 → c3, pause", output, StringComparison.Ordinal);
    }

    /// <summary>4 clusters (shards on c0 and c1) and a seeded workload on each user shard that a 2 → 4 rebalance moves (1 and 3).</summary>
    private static async Task<(ShardMoveTopology Topology, ShardMoveWorkload[] Workloads)> StartAsync(int orders)
    {
        var topology = await ShardMoveTopology.StartAsync(clusters: 4);
        try
        {
            var workloads = new[] { new ShardMoveWorkload(topology, shard: 1), new ShardMoveWorkload(topology, shard: 3) };
            foreach (var workload in workloads)
            {
                await workload.SeedAsync(notes: 120, orders: orders);
            }

            return (topology, workloads);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs the plan with <c>--execute --json</c> while every workload writes; returns the schedule (each move's recorded start and finish).</summary>
    private async Task<List<ScheduledMove>> RebalanceWhileWritingAsync(ShardMoveTopology topology, ShardMoveWorkload[] workloads, string[] plan)
    {
        using var stop = new CancellationTokenSource();
        var writers = Task.WhenAll(workloads.Select(w => w.RunAsync(writers: 4, stop.Token)));
        await Task.Delay(200);
        var writesBefore = workloads.Sum(w => w.Writes);
        var (exit, output, error) = await ShardMoveCommandTests.RunAsync(["plan", .. plan, "--execute", "--json"]);
        var writesDuring = workloads.Sum(w => w.Writes) - writesBefore;
        await Task.Delay(300);
        await stop.CancelAsync();
        await writers;

        Assert.True(exit == 0, $"exit {exit}: {error}{output}");
        var report = JsonDocument.Parse(output).RootElement;
        Assert.All(report.GetProperty("results").EnumerateArray(), r => Assert.True(r.GetProperty("switched").GetBoolean(), r.GetProperty("error").GetString()));
        Assert.All(report.GetProperty("moves").EnumerateArray(), m => Assert.Equal("MOVED", m.GetProperty("state").GetString()));
        var schedule = report.GetProperty("schedule").EnumerateArray().Select(m => new ScheduledMove(
            m.GetProperty("shard").GetString()!, m.GetProperty("from").GetString()!, m.GetProperty("to").GetString()!,
            m.GetProperty("startedAt").GetDateTimeOffset(), m.GetProperty("finishedAt").GetDateTimeOffset())).ToList();
        foreach (var m in schedule.OrderBy(m => m.Started))
        {
            _output.WriteLine($"{m.Shard} {m.From} → {m.To}: {m.Started:HH:mm:ss.fff} – {m.Finished:HH:mm:ss.fff}");
        }

        _output.WriteLine($"{writesDuring} writes during the rebalance; errors: {string.Join("; ", workloads.SelectMany(w => w.Errors))}");
        Assert.Empty(workloads.SelectMany(w => w.Errors));
        Assert.True(writesDuring > 0, "no write ran during the rebalance");
        return schedule;
    }

    /// <summary>From the recorded times: at least two moves ran at the same time, and no two that did shared a cluster.</summary>
    private static void AssertOverlappedWithoutSharingACluster(List<ScheduledMove> schedule)
    {
        var overlapping = schedule.SelectMany((a, i) => schedule.Skip(i + 1).Where(b => a.Started < b.Finished && b.Started < a.Finished).Select(b => (a, b))).ToList();
        Assert.NotEmpty(overlapping);
        Assert.All(overlapping, p => Assert.Empty(new[] { p.a.From, p.a.To }.Intersect([p.b.From, p.b.To])));
    }

    /// <summary>
    /// Every shard named is served where expected (the control schema's placements and an application that follows moves agree),
    /// each workload's acknowledged history is exactly on its shard's cluster (0 lost, 0 resurrected, 0 extra), and the two
    /// dimensions hold the same orders (0 lost, 0 duplicated merchant copies).
    /// </summary>
    private static async Task AssertPlacedAsync(ShardMoveTopology topology, ShardMoveWorkload[] workloads, Dictionary<string, string> expected)
    {
        await using (var control = await topology.OpenClusterAsync("c0"))
        {
            var placements = (await control.QueryAsync<(string Dimension, int Shard, string Cluster)>("SELECT dimension, shard, cluster FROM shardkit_control.placements"))
                .ToDictionary(p => $"{p.Dimension}:{p.Shard}", p => p.Cluster);
            foreach (var (shard, cluster) in expected.Where(e => placements.ContainsKey(e.Key) || e.Value is not ("c0" or "c1")))
            {
                Assert.Equal(cluster, placements[shard]);
            }
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (expected.Any(e => Route(topology.App, e.Key) != e.Value) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        Assert.All(expected, e => Assert.Equal(e.Value, Route(topology.App, e.Key)));
        foreach (var (workload, shard) in workloads.Select((w, i) => (w, i == 0 ? 1 : 3)))
        {
            var route = topology.App.Map.GetRoute(ShardDimension.User, shard);
            Assert.Empty(await workload.CheckAsync(route.Cluster.Name, route.Schema));
        }

        await topology.AssertDimensionsEqualAsync();
    }

    private static string Route(ShardKitDataSource dataSource, string shard)
    {
        var parts = shard.Split(':');
        return dataSource.Map.GetRoute(parts[0] == "user" ? ShardDimension.User : ShardDimension.Merchant, int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)).Cluster.Name;
    }

    private sealed record ScheduledMove(string Shard, string From, string To, DateTimeOffset Started, DateTimeOffset Finished);
}
