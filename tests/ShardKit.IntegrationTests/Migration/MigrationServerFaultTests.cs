using System.Diagnostics;
using System.Globalization;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Server faults during a migration run through the real <c>shardkit</c> CLI under application writers: replicas killed
/// with SIGKILL during the backfill and the cutover, and a target primary killed with SIGKILL during the backfill and
/// restarted on the same port and data directory.
/// </summary>
[Collection("MigrationFaults")]
public sealed class MigrationServerFaultTests(ITestOutputHelper output)
{
    private const int LegacyOrders = 200;
    private static readonly TimeSpan s_failFast = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AReplicaKilledDuringBackfillAndCutoverStopsNeitherTheMigrationNorTheApplicationsReads()
    {
        await using var run = await MigrationFaultRun.StartAsync("replica kills", LegacyOrders, replicas: 2, output);
        var clusters = run.Topology.Topology.Clusters;
        await WaitForReplicasAsync(run.Topology.Topology);
        run.StartTraffic(writers: 2);
        run.StartReplicaReads();
        await Task.Delay(200);
        Assert.Equal(0, (await run.RunCliAsync("start")).Exit);

        // A replica of c0 dies in the middle of the backfill: the lag throttle skips it and the copy goes on.
        var backfill = run.StartCli("backfill", "--chunk-size", "10", "--max-replica-lag", "5");
        await WaitForAsync(run, backfill, p => p.Cursor >= LegacyOrders / 3, "the backfill passed a third of the history");
        var c0Replica = clusters[0].Replicas[0];
        await c0Replica.KillAsync();
        var readsAtKill = run.ReplicaReads;
        run.Write($"SIGKILL {c0Replica.Name} during the backfill at {await run.ProgressAsync()}");
        var backfillExit = await backfill.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"`{backfill.CommandLine}` exited {backfillExit}");
        Assert.True(backfillExit == 0, $"the backfill stopped when a replica died: {backfill.Error} {backfill.Output}\n{run.Log}");
        Assert.True(run.ReplicaReads > readsAtKill, $"no replica read completed after {c0Replica.Name} died\n{run.Log}");
        await c0Replica.StartAsync();
        run.Write($"{c0Replica.Name} restarted");

        // A replica of c1 dies while buckets are being switched: the cutover goes on.
        var cutover = run.StartCli("cutover", "--all", "--max-pause-ms", "2000");
        await WaitForAsync(run, cutover, p => p.Moved >= 2, "two buckets moved");
        var c1Replica = clusters[1].Replicas[1];
        await c1Replica.KillAsync();
        readsAtKill = run.ReplicaReads;
        run.Write($"SIGKILL {c1Replica.Name} during the cutover at {await run.ProgressAsync()}");
        var cutoverExit = await cutover.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"`{cutover.CommandLine}` exited {cutoverExit}");
        Assert.True(cutoverExit == 0, $"the cutover stopped when a replica died: {cutover.Error} {cutover.Output}\n{run.Log}");
        await Task.Delay(300);
        Assert.True(run.ReplicaReads > readsAtKill, $"no replica read completed after {c1Replica.Name} died\n{run.Log}");
        await c1Replica.StartAsync();
        run.Write($"{c1Replica.Name} restarted");

        await run.AssertEndStateAsync();
        Assert.True(run.ReplicaReadFailures.IsEmpty, $"{run.ReplicaReadFailures.Count} replica read(s) failed: {string.Join(" | ", run.ReplicaReadFailures.Take(5))}\n{run.Log}");
        Assert.True(run.ReplicaReads > 100, $"only {run.ReplicaReads} replica reads ran");

        // Both restarted replicas catch up and hold exactly what their primaries hold.
        await WaitForReplicasAsync(run.Topology.Topology);
        foreach (var (cluster, replica) in new[] { (clusters[0], c0Replica), (clusters[1], c1Replica) })
        {
            foreach (var route in run.Topology.Shards.Map.GetRoutes(ShardDimension.User).Where(r => r.Cluster.Name == cluster.Name))
            {
                var primary = await cluster.Primary.QueryScalarAsync(ShardDigest(route.Schema));
                Assert.Equal(primary, await replica.QueryScalarAsync(ShardDigest(route.Schema)));
            }
        }
    }

    [Fact]
    public async Task ATargetPrimaryKilledDuringBackfillFailsTheMigratorClearlyAndResumeFinishes()
    {
        await using var run = await MigrationFaultRun.StartAsync("target primary restart", LegacyOrders, replicas: 0, output);
        var victim = run.Topology.Topology.Clusters[1].Primary;   // c1: shards 4-7 of both dimensions; the control schema is on c0
        run.StartTraffic(writers: 2);
        await Task.Delay(200);
        Assert.Equal(0, (await run.RunCliAsync("start")).Exit);

        var backfill = run.StartCli("backfill", "--chunk-size", "10");
        await WaitForAsync(run, backfill, p => p.Cursor >= LegacyOrders / 3, "the backfill passed a third of the history");
        await victim.KillAsync();
        var down = Stopwatch.StartNew();
        run.Write($"SIGKILL {victim.Name} (port {victim.Port}) during the backfill at {await run.ProgressAsync()}");

        // The application: a legacy-ID lookup whose mapping lives on c1 fails fast with a transient error naming the cluster.
        await using var probe = run.Topology.NewStore(workerId: 21);
        var onC1 = Enumerable.Range(1, LegacyOrders).Reverse()
            .Where(id => run.Topology.Shards.Map.GetRoute(ShardDimension.User, AlternateKeyShard(id)).Cluster.Name == "c1")
            .Take(2)
            .ToList();
        var clock = Stopwatch.StartNew();
        var failed = await Assert.ThrowsAsync<ShardKitException>(() => probe.FindByLegacyIdAsync(onC1[0]));
        run.Write($"application lookup of legacy order {onC1[0]} while {victim.Name} is down: {failed.ErrorCode} after {clock.ElapsedMilliseconds} ms: {failed.Message}");
        Assert.True(clock.Elapsed < s_failFast, $"the lookup took {clock.Elapsed.TotalSeconds:0.0} s to fail\n{run.Log}");
        Assert.True(failed.IsTransient, $"{failed.ErrorCode} is not transient");
        Assert.True(failed.Message.Contains("'c1'", StringComparison.Ordinal), $"the application's error does not name cluster c1: {failed.Message}");

        // The migrator stops with an error that names the cluster (exit 3: a server could not be reached), and records the interrupted backfill.
        var exit = await backfill.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"`{backfill.CommandLine}` exited {exit} {down.ElapsedMilliseconds} ms after the kill: {MigrationFaultRun.OneLine(backfill.Error)}");
        Assert.True(exit == 3, $"the backfill exited {exit} with c1 down: {backfill.Error} {backfill.Output}\n{run.Log}");
        Assert.True(down.Elapsed < TimeSpan.FromSeconds(30), $"the backfill took {down.Elapsed.TotalSeconds:0} s to give up\n{run.Log}");
        Assert.True(backfill.Error.Contains("'c1'", StringComparison.Ordinal), $"the backfill's error does not name cluster c1: {backfill.Error}\n{run.Log}");
        Assert.Contains("backfill", (await run.ProgressAsync()).Command, StringComparison.Ordinal);

        // Restarted on the same port and data directory: the application's lookups work again, and resume finishes the backfill.
        var port = victim.Port;
        await victim.StartAsync();
        Assert.Equal(port, victim.Port);
        run.Write($"{victim.Name} restarted on port {victim.Port} after {down.ElapsedMilliseconds} ms down");
        var recovered = await RecoverAsync(() => probe.FindByLegacyIdAsync(onC1[1]), TimeSpan.FromSeconds(15));
        run.Write($"application lookups on c1 work again {recovered.TotalMilliseconds:0} ms after the restart");
        var errorsAfterRecovery = run.Workload!.Errors;
        Assert.Equal(0, (await run.RunCliAsync("resume")).Exit);
        Assert.Equal(0, (await run.RunCliAsync("cutover", "--all", "--max-pause-ms", "2000")).Exit);
        await Task.Delay(300);

        await run.AssertEndStateAsync(applicationErrorsExpected: true);
        var workload = run.Workload!;
        Assert.True(workload.Errors == errorsAfterRecovery, $"{workload.Errors - errorsAfterRecovery} application error(s) after c1 was back: {string.Join(" | ", workload.ErrorSamples)}");
        Assert.All(workload.ErrorSamples, e => Assert.Contains("'c1'", e, StringComparison.Ordinal));
    }

    private static int AlternateKeyShard(long legacyId) =>
        new AlternateKey("legacy-order-id", legacyId.ToString(CultureInfo.InvariantCulture)).GetShard(MigrationTopology.ShardCount);

    /// <summary>Row count and an order-independent digest of a user shard's orders and items.</summary>
    private static string ShardDigest(string schema) => $"""
        SELECT CONCAT(
            (SELECT COUNT(*) FROM `{schema}`.`orders`), ':',
            (SELECT IFNULL(BIT_XOR(CRC32(CONCAT_WS('|', order_id, version, status, total_amount, IFNULL(ext, '-')))), 0) FROM `{schema}`.`orders`), ':',
            (SELECT IFNULL(BIT_XOR(CRC32(CONCAT_WS('|', order_id, line_no, sku, quantity, unit_price))), 0) FROM `{schema}`.`order_items`))
        """;

    private static async Task WaitForReplicasAsync(MariaDbTopology topology)
    {
        foreach (var replica in topology.Clusters.SelectMany(c => c.Replicas))
        {
            await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        }
    }

    private static async Task WaitForAsync(MigrationFaultRun run, CliProcess cli, Func<ControlProgress, bool> reached, string description)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        while (true)
        {
            var progress = await run.ProgressAsync();
            if (reached(progress))
            {
                return;
            }

            Assert.False(cli.HasExited, $"`{cli.CommandLine}` exited before {description}: {cli.Error} {cli.Output}\n{run.Log}");
            Assert.True(DateTime.UtcNow < deadline, $"`{cli.CommandLine}` did not reach {description}; last {progress}\n{run.Log}");
            await Task.Delay(5);
        }
    }

    /// <summary>Retries <paramref name="operation"/> until it succeeds; returns how long that took.</summary>
    private static async Task<TimeSpan> RecoverAsync(Func<Task> operation, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await operation();
                return clock.Elapsed;
            }
            catch (ShardKitException ex) when (ex.IsTransient && clock.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
        }
    }
}
