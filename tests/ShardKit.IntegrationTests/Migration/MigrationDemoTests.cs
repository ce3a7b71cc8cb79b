using ShardKit.Migrations.Commands;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The live migration demo piece, run once (with replicas, so the backfill's lag throttle reads real replicas).</summary>
public sealed class MigrationDemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheLiveMigrationDemoMovesEverythingUnderLoadAndReportsItsFigures()
    {
        // SHARDKIT_MIGRATION_DEMO_ORDERS and SHARDKIT_MIGRATION_DEMO_SHARDS make the same run the measured one in benchmarks/results.
        var orders = int.TryParse(Environment.GetEnvironmentVariable("SHARDKIT_MIGRATION_DEMO_ORDERS"), out var o) ? o : 800;
        var shards = int.TryParse(Environment.GetEnvironmentVariable("SHARDKIT_MIGRATION_DEMO_SHARDS"), out var s) ? s : 8;
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 1, Legacy = true, Tls = false });
        using var log = new StringWriter();

        var report = await MigrationDemo.RunAsync(topology, new MigrationDemoOptions { LegacyOrders = orders, ShardCount = shards, Writers = 3 }, log, CancellationToken.None);

        report.Write(log);
        output.WriteLine(log.ToString());
        Assert.True(report.Succeeded, log.ToString());
        Assert.True(report.Operations > 100, $"only {report.Operations} operations ran");
        Assert.True(report.PauseP99Ms >= 0, "the demo reported no pause"); // its figures are the migration load tool's, not a timed test
        Assert.NotNull(report.DumpReloadSeconds);
    }
}
