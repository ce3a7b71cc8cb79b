using MySqlConnector;

namespace ShardKit.IntegrationTests.Routing;

/// <summary>The order schema on all 240 shards of two real clusters, idempotently and resumably.</summary>
[Collection("Topology")]
public sealed class SchemaApplyTests(TopologyFixture fixture)
{
    private ShardKitDataSource Build() =>
        new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();

    [Fact]
    public async Task TheBuiltInSchemaReachesAll240ShardsAndARerunChangesNothing()
    {
        await using var shards = Build();
        var applier = new SchemaApplier(shards);

        var first = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });
        var second = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });

        Assert.True(first.Succeeded, string.Join("; ", first.Shards.Where(s => s.Error is not null)));
        Assert.Equal(240, first.Applied + first.Skipped);
        Assert.Equal(240, second.Skipped);
        foreach (var cluster in fixture.Topology.Clusters)
        {
            // 60 user and 60 merchant shards per cluster, each with both tables; none of the other cluster's.
            Assert.Equal("240", await cluster.Primary.QueryScalarAsync(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE 'sk\\_%' AND TABLE_NAME IN ('orders', 'order_items')"));
            await cluster.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("240", await cluster.Replicas[0].QueryScalarAsync(
                "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA LIKE 'sk\\_%' AND TABLE_NAME IN ('orders', 'order_items')"));
        }

        var c0Schemas = await fixture.Topology.Clusters[0].Primary.ExecuteAsync("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'sk\\_%' ORDER BY 1");
        Assert.Contains("sk_user_059", c0Schemas, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_user_060", c0Schemas, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnInterruptedRollOutResumesWhereItStopped()
    {
        await using var shards = Build();
        var applier = new SchemaApplier(shards);
        Assert.True((await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 })).Succeeded);
        var table = "resume_probe_" + Guid.NewGuid().ToString("N")[..8];
        var script = $"CREATE TABLE IF NOT EXISTS {{schema}}.`{table}` (id INT NOT NULL PRIMARY KEY)";

        using var interrupt = new CancellationTokenSource();
        var done = 0;
        var progress = new InlineProgress(_ => { if (Interlocked.Increment(ref done) == 50) { interrupt.Cancel(); } });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            applier.ApplyAsync(new SchemaApplyOptions { Script = script, Parallelism = 2 }, progress, interrupt.Token));

        var resumed = await applier.ApplyAsync(new SchemaApplyOptions { Script = script, Parallelism = 8 });

        Assert.True(resumed.Succeeded);
        Assert.InRange(resumed.Skipped, 50, 239);
        Assert.Equal(240, resumed.Applied + resumed.Skipped);
        var tables = 0;
        foreach (var cluster in fixture.Topology.Clusters)
        {
            tables += int.Parse(await cluster.Primary.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = '{table}'") ?? "0");
        }

        Assert.Equal(240, tables);
    }

    [Fact]
    public async Task AFailingScriptIsReportedPerShardAndNothingIsRecordedForThem()
    {
        await using var shards = Build();
        var applier = new SchemaApplier(shards);
        Assert.True((await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 })).Succeeded);

        var result = await applier.ApplyAsync(new SchemaApplyOptions
        {
            Script = "ALTER TABLE {orders} ADD COLUMN no_such_type_column NOSUCHTYPE",
            Dimensions = [ShardDimension.Merchant],
            Parallelism = 8,
            StopAtFirstFailure = false,
        });

        Assert.Equal(120, result.Failed);
        Assert.All(result.Shards, s => Assert.Contains("NOSUCHTYPE", s.Error, StringComparison.OrdinalIgnoreCase));
    }

    private sealed class InlineProgress(Action<SchemaShardResult> report) : IProgress<SchemaShardResult>
    {
        public void Report(SchemaShardResult value) => report(value);
    }
}
