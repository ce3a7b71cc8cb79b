using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Schema;

public sealed class SchemaApplierTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private ShardKitDataSource Build() => new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();

    [Fact]
    public async Task AppliesTheBuiltInSchemaToAll240ShardsOnTheirOwnClusters()
    {
        await using var shards = Build();
        var reported = new List<SchemaShardResult>();

        var result = await new SchemaApplier(shards).ApplyAsync(progress: new Collect(reported));

        Assert.True(result.Succeeded);
        Assert.Equal(240, result.Applied);
        Assert.Equal(240, reported.Count);
        Assert.Equal(240, _provider.Server.LogCount);
        var executed = _provider.Server.Executed;
        Assert.Contains(executed, e => e.ConnectionString == TestTopologies.Endpoint(3310) && e.Sql.StartsWith("CREATE TABLE IF NOT EXISTS `sk_user_059`.`orders`", StringComparison.Ordinal));
        Assert.Contains(executed, e => e.ConnectionString == TestTopologies.Endpoint(3312) && e.Sql.StartsWith("CREATE TABLE IF NOT EXISTS `sk_merchant_060`.`order_items`", StringComparison.Ordinal));
        Assert.DoesNotContain(executed, e => e.ConnectionString == TestTopologies.Endpoint(3310) && e.Sql.Contains("sk_user_060", StringComparison.Ordinal));
        Assert.DoesNotContain(executed, e => e.Sql.Contains('{', StringComparison.Ordinal) && !e.Sql.Contains("shardkit_schema_log", StringComparison.Ordinal));
        Assert.Equal(["user:0", "user:1"], result.Shards.Take(2).Select(s => s.Route.Name));
    }

    [Fact]
    public async Task ARerunSkipsEveryShardAlreadyDone()
    {
        await using var shards = Build();
        var applier = new SchemaApplier(shards);
        await applier.ApplyAsync();
        var executedBefore = _provider.Server.Executed.Count;

        var again = await applier.ApplyAsync();

        Assert.Equal(240, again.Skipped);
        Assert.Equal(0, again.Applied);
        // Only the two clusters' bookkeeping ran: create-if-missing of the log, the heartbeat table and the shard-lease
        // tables (3 statements: the shardkit schema, shardkit_leases, shardkit_lease_holders), and the read of the log.
        Assert.Equal(executedBefore + 10 + (2 * 3), _provider.Server.Executed.Count);
    }

    [Fact]
    public async Task ReportsFailedShardsAndResumesWithOnlyThoseOnTheNextRun()
    {
        await using var shards = Build();
        _provider.Server.FailStatement = (_, sql) =>
            sql.Contains("`sk_merchant_007`.`orders`", StringComparison.Ordinal) ? "Table creation failed: disk full" : null;
        var applier = new SchemaApplier(shards);

        var first = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });

        Assert.False(first.Succeeded);
        var failed = Assert.Single(first.Shards, s => s.Status == SchemaShardStatus.Failed);
        Assert.Equal("merchant:7", failed.Route.Name);
        Assert.Equal("Table creation failed: disk full", failed.Error);
        Assert.Equal(239, first.Applied);

        _provider.Server.FailStatement = (_, _) => null;
        var second = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });

        Assert.True(second.Succeeded);
        Assert.Equal(1, second.Applied);
        Assert.Equal(239, second.Skipped);
        Assert.Equal(SchemaShardStatus.Applied, second.Shards.Single(s => s.Route.Name == "merchant:7").Status);
    }

    [Fact]
    public async Task ADifferentScriptIsTrackedSeparatelyAndCanTargetOneDimension()
    {
        await using var shards = Build();
        var applier = new SchemaApplier(shards);
        await applier.ApplyAsync();

        var alter = await applier.ApplyAsync(new SchemaApplyOptions
        {
            Script = "ALTER TABLE {orders} ADD COLUMN IF NOT EXISTS channel VARCHAR(16) NULL;",
            Dimensions = [ShardDimension.Merchant],
        });

        Assert.Equal(120, alter.Applied);
        Assert.All(alter.Shards, s => Assert.Equal(ShardDimension.Merchant, s.Route.Dimension));
        Assert.Contains(_provider.Server.Executed, e => e.Sql == "ALTER TABLE `sk_merchant_119`.`orders` ADD COLUMN IF NOT EXISTS channel VARCHAR(16) NULL");
    }

    [Fact]
    public async Task AnUnreachableClusterFailsItsShardsAndSparesTheOthers()
    {
        _provider.Server.Down[TestTopologies.Endpoint(3312)] = true;
        await using var shards = Build();

        var result = await new SchemaApplier(shards).ApplyAsync();

        Assert.Equal(120, result.Applied);
        Assert.Equal(120, result.Failed);
        Assert.All(result.Shards.Where(s => s.Status == SchemaShardStatus.Failed), s =>
        {
            Assert.Equal("c1", s.Route.Cluster.Name);
            Assert.Contains("cluster 'c1' (127.0.0.1:3312) is unavailable", s.Error, StringComparison.Ordinal);
            Assert.DoesNotContain(TestTopologies.Password, s.Error, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public async Task RefusesParallelismOutOfRange(int parallelism)
    {
        await using var shards = Build();

        await Assert.ThrowsAsync<ArgumentException>(() => new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Parallelism = parallelism }));
    }

    [Fact]
    public async Task RefusesAScriptWithoutStatements()
    {
        await using var shards = Build();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Script = "-- nothing\n" }));

        Assert.Contains("no SQL statement", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_provider.Server.Executed);
    }

    private sealed class Collect(List<SchemaShardResult> results) : IProgress<SchemaShardResult>
    {
        public void Report(SchemaShardResult value)
        {
            lock (results)
            {
                results.Add(value);
            }
        }
    }
}
