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

        var first = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8, StopAtFirstFailure = false });

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
        Assert.Contains(_provider.Server.Executed, e => e.Sql == "ALTER TABLE `sk_merchant_119`.`orders` ADD COLUMN IF NOT EXISTS channel VARCHAR(16) NULL, ALGORITHM=INSTANT");
    }

    [Fact]
    public async Task AnUnreachableClusterFailsItsShardsAndSparesTheOthers()
    {
        _provider.Server.Down[TestTopologies.Endpoint(3312)] = true;
        await using var shards = Build();

        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { StopAtFirstFailure = false });

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

    [Fact]
    public async Task AFailureOnTheCanaryStopsBeforeAnyOtherShard()
    {
        await using var shards = Build();
        _provider.Server.FailStatement = (_, sql) => sql.Contains("no_such_type", StringComparison.Ordinal) ? "Unknown data type NO_SUCH_TYPE" : null;

        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Script = "ALTER TABLE {orders} ADD COLUMN x no_such_type", Parallelism = 8 });

        Assert.False(result.Succeeded);
        var failed = Assert.Single(result.Shards, s => s.Status == SchemaShardStatus.Failed);
        Assert.Equal("user:0", failed.Route.Name);
        Assert.Equal(239, result.NotStarted);
        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.StartsWith("ALTER TABLE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFailureInAWaveLetsTheWaveFinishAndStartsNoOtherShard()
    {
        await using var shards = Build();
        _provider.Server.FailStatement = (_, sql) => sql.Contains("`sk_user_009`.`orders` ADD", StringComparison.Ordinal) ? "Disk full" : null;

        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Script = "ALTER TABLE {orders} ADD COLUMN x INT NULL", Parallelism = 4 });

        // Waves: user:0 alone, then 1-4, 5-8, 9-12 (9 fails, 10-12 finish), nothing after.
        Assert.Equal(Enumerable.Range(0, 13).Where(i => i != 9).Select(i => $"user:{i}"), result.Shards.Where(s => s.Status == SchemaShardStatus.Applied).Select(s => s.Route.Name));
        Assert.Equal("user:9", Assert.Single(result.Shards, s => s.Status == SchemaShardStatus.Failed).Route.Name);
        Assert.Equal(240 - 13, result.NotStarted);
        Assert.All(result.Shards.Where(s => s.Route.Dimension == ShardDimension.Merchant), s => Assert.Equal(SchemaShardStatus.NotStarted, s.Status));
    }

    [Fact]
    public async Task AStatementTheServerWouldRunOnlyBlockingIsRefusedWithTheServersReason()
    {
        await using var shards = Build();
        _provider.Server.FailStatement = (_, sql) =>
            sql.EndsWith("ALGORITHM=INSTANT", StringComparison.Ordinal) ? "ALGORITHM=INSTANT is not supported. Reason: Cannot change column type. Try ALGORITHM=COPY"
            : sql.EndsWith("LOCK=NONE", StringComparison.Ordinal) ? "ALGORITHM=INPLACE is not supported. Reason: Cannot change column type. Try ALGORITHM=COPY"
            : null;
        var options = new SchemaApplyOptions { Script = "ALTER TABLE {orders} MODIFY COLUMN version VARCHAR(20)", Dimensions = [ShardDimension.User] };

        var refused = await new SchemaApplier(shards).ApplyAsync(options);

        var failed = Assert.Single(refused.Shards, s => s.Status == SchemaShardStatus.Failed);
        Assert.Equal("user:0", failed.Route.Name);
        Assert.Contains("would copy the table or block writes: ALGORITHM=INPLACE is not supported. Reason: Cannot change column type", failed.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-blocking", failed.Error, StringComparison.Ordinal);
        Assert.Equal(119, refused.NotStarted);

        options.AllowBlocking = true;
        var allowed = await new SchemaApplier(shards).ApplyAsync(options);

        Assert.True(allowed.Succeeded);
        Assert.Equal(120, allowed.Applied);
        // The canary found out the statement blocks; the other shards run it as written at once.
        Assert.Contains(_provider.Server.Executed, e => e.Sql == "ALTER TABLE `sk_user_007`.`orders` MODIFY COLUMN version VARCHAR(20)");
        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.StartsWith("ALTER TABLE `sk_user_007`", StringComparison.Ordinal) && e.Sql.Contains("ALGORITHM", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenTheCanaryNeedsInplaceTheOtherShardsSkipTheInstantAttempt()
    {
        await using var shards = Build();
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _provider.Server.FailStatement = (_, sql) =>
        {
            attempts.Enqueue(sql);
            return sql.EndsWith("ALGORITHM=INSTANT", StringComparison.Ordinal) ? "ALGORITHM=INSTANT is not supported for this operation. Try ALGORITHM=INPLACE" : null;
        };

        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Script = "CREATE INDEX ix_version ON {orders} (version)", Dimensions = [ShardDimension.Merchant] });

        Assert.True(result.Succeeded);
        Assert.Contains(_provider.Server.Executed, e => e.Sql == "CREATE INDEX ix_version ON `sk_merchant_050`.`orders` (version) ALGORITHM=INPLACE LOCK=NONE");
        Assert.Single(attempts, a => a.EndsWith("ALGORITHM=INSTANT", StringComparison.Ordinal));
        Assert.Equal(["merchant: statement 1 (CREATE INDEX ix_version ON {orders} (version)) ran with ALGORITHM=INPLACE, LOCK=NONE"], result.Algorithms);
        Assert.Contains(attempts, a => a == "CREATE INDEX ix_version ON `sk_merchant_000`.`orders` (version) ALGORITHM=INSTANT");
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
