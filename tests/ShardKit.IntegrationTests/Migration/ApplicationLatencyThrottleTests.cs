using Dapper;
using ShardKit.IntegrationTests.Orders;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;
using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The copy throttle holds back while a running application reports a slow 99th percentile, and goes on when it recovers.</summary>
public sealed class ApplicationLatencyThrottleTests
{
    [Fact]
    public async Task WritersReportTheirLatencyAndTheBackfillWaitsWhileItIsAboveTheLimit()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 20);
        using (var migrator = topology.NewMigrator())
        {
            await migrator.PlanAsync(CancellationToken.None);
        }

        // A real writer reports the p99 of the operations it ran since its last poll.
        await using (var store = topology.NewStore(workerId: 1, pollInterval: TimeSpan.FromMinutes(1)))
        {
            // The store's first poll (at its start) reports the window it has; on a busy machine it can run after the writes
            // below, taking their figure before the refresh does. Wait until it has run (it records the state version last).
            var started = System.Diagnostics.Stopwatch.StartNew();
            while (store.StateVersion < 0)
            {
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), "the store never read the control state");
                await Task.Delay(10);
            }

            var orders = new OrderFactory(workerId: 2, MigrationTopology.ShardCount);
            for (var i = 0; i < 20; i++)
            {
                await store.CreateAsync(orders.New(userId: 1 + i, merchantId: 1 + (i % 5)));
            }

            await store.RefreshAsync();
            var reported = await ReportedLatencyAsync(topology, store.WriterId);
            Assert.True(reported > 0, $"the writer reported {reported?.ToString() ?? "null"}");

            // Nothing ran since: the next report is empty rather than the old figure.
            await store.RefreshAsync();
            Assert.Null(await ReportedLatencyAsync(topology, store.WriterId));
        }

        await SetWriterAsync(topology, "slow-app", latencyMs: 800);
        var throttle = NewThrottle(topology);
        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        Assert.NotSame(wait, await Task.WhenAny(wait, Task.Delay(1500)));
        Assert.Equal(TimeSpan.FromMilliseconds(800), throttle.LastWriterP99);
        Assert.Contains("the writers report a p99 of 800 ms", throttle.WaitingFor, StringComparison.Ordinal);

        await SetWriterAsync(topology, "slow-app", latencyMs: 20);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(20), throttle.LastWriterP99);
        Assert.Null(throttle.WaitingFor);
        Assert.True(throttle.Throttled >= TimeSpan.FromSeconds(1), $"throttled {throttle.Throttled}");

        // A writer that stopped heart-beating no longer holds the copy back.
        await ExecuteOnControlAsync(topology, $"UPDATE `{ControlSchema.Name}`.`writers` SET latency_p99_ms = 900, heartbeat_at = UTC_TIMESTAMP(6) - INTERVAL 1 HOUR");
        var stale = NewThrottle(topology);
        await stale.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(stale.LastWriterP99);
        Assert.Equal(TimeSpan.Zero, stale.Throttled);
    }

    private static CopyThrottle NewThrottle(MigrationTopology topology) => new(
        new CopyThrottleOptions { MaxWriterP99 = TimeSpan.FromMilliseconds(200) },
        ServerLoadProbe.ForLegacyImport(topology.Shards, controlCluster: null, writerTimeout: TimeSpan.FromSeconds(10)),
        TimeProvider.System);

    private static Task SetWriterAsync(MigrationTopology topology, string writerId, double latencyMs) =>
        ExecuteOnControlAsync(topology, ControlSchema.Acknowledge, new { WriterId = writerId, StateVersion = 0L, Host = "test", LatencyP99 = latencyMs });

    private static async Task<double?> ReportedLatencyAsync(MigrationTopology topology, string writerId)
    {
        await using var control = new MySqlConnector.MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString);
        return await control.QuerySingleAsync<double?>($"SELECT latency_p99_ms FROM `{ControlSchema.Name}`.`writers` WHERE writer_id = @WriterId", new { WriterId = writerId });
    }

    private static async Task ExecuteOnControlAsync(MigrationTopology topology, string sql, object? parameters = null)
    {
        await using var control = new MySqlConnector.MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString);
        await control.ExecuteAsync(sql, parameters);
    }
}
