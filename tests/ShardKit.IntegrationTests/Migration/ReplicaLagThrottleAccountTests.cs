using ShardKit.Migrations.Migration;
using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The copy throttle's replica-lag check with the migrator's account, and without the grant it needs.</summary>
public sealed class ReplicaLagThrottleAccountTests
{
    [Fact]
    public async Task WithoutSlaveMonitorTheLagThrottleNamesTheMissingGrantInsteadOfSeeingNoLag()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 5, replicas: 1);
        using (var migrator = topology.NewMigrator())
        {
            await migrator.PlanAsync(CancellationToken.None);
        }

        // With the documented grants the migrator reads every replica's lag.
        var throttle = NewThrottle(topology.Shards);
        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        Assert.Equal(TimeSpan.Zero, throttle.LastLag);
        Assert.NotNull(throttle.LastThreadsRunning);

        var primary = topology.Topology.Clusters[0].Primary;
        await primary.ExecuteAsync("REVOKE SLAVE MONITOR ON *.* FROM 'shardkit_migrator'@'%'");
        await topology.Topology.Clusters[0].WaitForReplicationAsync(TimeSpan.FromSeconds(30));

        // Global privileges are read when a session logs in: a data source of its own, so every session is new.
        await using var shards = new ShardKitDataSourceBuilder(topology.Options).Build();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => NewThrottle(shards).WaitAsync(rowsDone: 0, CancellationToken.None));
        Assert.Contains("cluster 'c0'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("grant the migrator's account SLAVE MONITOR", refused.Message, StringComparison.Ordinal);
        Assert.Contains("docs/migration.md", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheLegacyImportsLagCheckCountsTheLegacyReplicasAndSkipsADeadOne()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 5, replicas: 0, legacyReplicas: 1);
        var replica = topology.Topology.LegacyReplicas[0];
        var probe = ServerLoadProbe.ForLegacyImport(topology.Shards, controlCluster: null, writerTimeout: TimeSpan.FromSeconds(10));

        // The replica applies each event 60 s late: with the migrator's account, the probe sees it fall behind.
        await replica.ExecuteAsync("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 60; START SLAVE;");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        (TimeSpan Lag, string? Where) lag;
        do
        {
            await topology.Legacy.ExecuteAsync($"UPDATE `{LegacySeed.Database}`.`orders` SET total_amount = total_amount + 1 WHERE order_id = 1");
            await Task.Delay(200);
            lag = await probe.MaxReplicaLagAsync(CancellationToken.None);
        }
        while (lag.Lag == TimeSpan.Zero && DateTime.UtcNow < deadline);

        Assert.True(lag.Lag > TimeSpan.Zero, "the probe never saw the delayed legacy replica lag");
        Assert.Contains("legacy replica 0", lag.Where, StringComparison.Ordinal);

        // A dead legacy replica is skipped, as a cluster replica is: no lag, no error.
        await replica.KillAsync();
        Assert.Equal((TimeSpan.Zero, (string?)null), await probe.MaxReplicaLagAsync(CancellationToken.None));
    }

    private static CopyThrottle NewThrottle(ShardKitDataSource shards) =>
        new(new CopyThrottleOptions(), ServerLoadProbe.ForLegacyImport(shards, controlCluster: null, writerTimeout: TimeSpan.FromSeconds(10)), TimeProvider.System);
}
