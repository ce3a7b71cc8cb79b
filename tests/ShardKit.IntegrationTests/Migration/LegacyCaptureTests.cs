using System.Globalization;
using Dapper;
using MySqlConnector;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The legacy import's capture in the database (<see cref="LegacyCapture"/>): a script writing the legacy tables with plain
/// SQL is versioned, logged and fenced like ShardKit's own store, through every phase.
/// </summary>
public sealed class LegacyCaptureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheTriggersBucketOfAUserIsTheOneShardKitRoutesItTo()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 10);
        await using var connection = new MySqlConnection(topology.Legacy.ConnectionString);
        await connection.OpenAsync();

        // The hash's SQL (the generated bucket column's and the triggers') as a function, for bucket counts other than the topology's.
        var random = new Random(7);
        long[] ids =
        [
            .. Enumerable.Range(1, 300).Select(i => (long)i),
            .. Enumerable.Range(0, 700).Select(_ => random.NextInt64(1, long.MaxValue)),
            uint.MaxValue, (long)uint.MaxValue + 1, long.MaxValue, long.MaxValue - uint.MaxValue, 1L << 62,
        ];
        foreach (var buckets in new[] { 1, 8, 120, 128 })
        {
            await connection.ExecuteAsync("DROP FUNCTION IF EXISTS `legacy`.`bucket_under_test`");
            await connection.ExecuteAsync($"""
                CREATE FUNCTION `legacy`.`bucket_under_test`(p_user BIGINT) RETURNS INT DETERMINISTIC NO SQL
                RETURN {LegacyCapture.BucketOf("p_user", buckets)}
                """);
            foreach (var chunk in ids.Chunk(250))
            {
                var sql = "SELECT " + string.Join(", ", chunk.Select(id => string.Create(CultureInfo.InvariantCulture, $"`legacy`.`bucket_under_test`({id})")));
                await using var command = new MySqlCommand(sql, connection);
                await using var reader = await command.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                for (var i = 0; i < chunk.Length; i++)
                {
                    Assert.True(ShardFunctions.UserShard(chunk[i], buckets) == reader.GetInt32(i), $"user {chunk[i]}, {buckets} buckets: SQL {reader.GetInt32(i)}, ShardKit {ShardFunctions.UserShard(chunk[i], buckets)}");
                }
            }
        }

        // And the generated column itself: a plain INSERT gets the bucket its user routes to.
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        foreach (var user in ids.Take(40).Concat(ids.TakeLast(5)))
        {
            await connection.ExecuteAsync(
                "INSERT INTO `legacy`.`orders` (user_id, merchant_id, status, total_amount, currency, created_at, updated_at) VALUES (@User, 1, 'raw', 1, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
                new { User = user });
            var bucket = await connection.ExecuteScalarAsync<int>("SELECT shardkit_bucket FROM `legacy`.`orders` WHERE order_id = LAST_INSERT_ID()");
            Assert.Equal(ShardFunctions.UserShard(user, MigrationTopology.ShardCount), bucket);
        }

        // An order's ShardKit ID routes by its user and merchant, so a plain-SQL change of either is refused, and nothing changes.
        var (userBefore, merchantBefore) = await connection.QuerySingleAsync<(long, long)>("SELECT user_id, merchant_id FROM `legacy`.`orders` WHERE order_id = 1");
        foreach (var change in new[] { "user_id = user_id + 1", "merchant_id = merchant_id + 1" })
        {
            var refused = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteAsync($"UPDATE `legacy`.`orders` SET {change} WHERE order_id = 1"));
            Assert.Equal(LegacyCapture.KeysFixed, refused.Message);
            Assert.Null(ShardFenceSignal.Find(refused));
        }

        Assert.Equal((userBefore, merchantBefore), await connection.QuerySingleAsync<(long, long)>("SELECT user_id, merchant_id FROM `legacy`.`orders` WHERE order_id = 1"));
    }

    [Fact]
    public async Task APlanOnAServerThatDoesNotTrustTriggerCreatorsSaysWhatToSetAndCreatesNothing()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 10);
        var primary = topology.Topology.Clusters[1].Primary;
        await primary.ExecuteAsync("SET GLOBAL log_bin_trust_function_creators = 0");
        using var migrator = topology.NewMigrator();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.PlanAsync(CancellationToken.None));
        Assert.Contains("The migration was not planned: cluster 'c1'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("log_bin_trust_function_creators = 0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was created", refused.Message, StringComparison.Ordinal);
        await using (var legacy = new MySqlConnection(topology.Legacy.ConnectionString))
        {
            Assert.Equal(0L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'legacy'"));
            Assert.Equal(0L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'legacy' AND column_name = 'shardkit_bucket'"));
        }

        await using (var control = new MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString))
        {
            Assert.Equal(0L, await control.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'shardkit_control'"));
        }

        await primary.ExecuteAsync("SET GLOBAL log_bin_trust_function_creators = 1");

        // The jobs never overlap: an unfinished shard move keeps the import from being planned (and, below, an import keeps
        // every shard, user or merchant, from being moved). Nothing is created.
        await using (var control = new MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString))
        {
            await control.OpenAsync();
            await ControlSchema.EnsureAsync(control, CancellationToken.None);
            await control.ExecuteAsync($"INSERT INTO `{ControlSchema.Name}`.`{ControlSchema.Units}` (job, dimension, shard, from_cluster, to_cluster, state, started_at, updated_at) VALUES ('move', 'merchant', 3, 'c0', 'c1', 'COPY', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
            var moving = await Assert.ThrowsAsync<InvalidOperationException>(() => migrator.PlanAsync(CancellationToken.None));
            Assert.Contains("1 shard move(s) are not complete (merchant:3 COPY)", moving.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing was created", moving.Message, StringComparison.Ordinal);
            await control.ExecuteAsync($"UPDATE `{ControlSchema.Name}`.`{ControlSchema.Units}` SET state = 'COMPLETE' WHERE job = 'move'");
        }

        // The setting the message names is the remedy: the same account plans now.
        await migrator.PlanAsync(CancellationToken.None);

        // An application store on the migrator's data source would write past the fences: refused.
        var misuse = Assert.Throws<ArgumentException>(() => new MigratingOrderStore(topology.Shards, topology.Ids(4)));
        Assert.Contains("migrator's", misuse.Message, StringComparison.Ordinal);

        // And the jobs refuse an application's data source: its sessions do not carry the migrators' mark, so their own copies
        // and drains would be fenced.
        var unmarked = Assert.Throws<ArgumentException>(() => new ShardKit.Migrations.Migration.Moves.ShardMover(topology.App, new ShardKit.Migrations.Migration.Moves.ShardMoverOptions()));
        Assert.Contains("UseMigratorSessions()", unmarked.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Migrator(topology.App, new MigratorOptions()));

        // A shard under the import cannot be moved: the move would leave the import's triggers behind.
        var mover = new ShardKit.Migrations.Migration.Moves.ShardMover(topology.Shards, new ShardKit.Migrations.Migration.Moves.ShardMoverOptions());
        var blocked = await Assert.ThrowsAsync<InvalidOperationException>(() => mover.MoveAsync("user:0", "c1", command: null, progress: null, CancellationToken.None));
        Assert.Contains("Shard user:0 is part of a legacy import in progress", blocked.Message, StringComparison.Ordinal);
        Assert.Contains("`shardkit migrate complete`", blocked.Message, StringComparison.Ordinal);
        var merchant = await Assert.ThrowsAsync<InvalidOperationException>(() => mover.MoveAsync("merchant:0", "c1", command: null, progress: null, CancellationToken.None));
        Assert.Contains($"Shard merchant:0 is part of a legacy import in progress ({MigrationTopology.ShardCount} unit(s) not complete: bucket 0 PLAN, bucket 1 PLAN", merchant.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainSqlWritersOnTheLegacyTablesAreCapturedAndFencedThroughEveryPhase()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 400);
        using var migrator = topology.NewMigrator(chunkSize: 50);
        await migrator.PlanAsync(CancellationToken.None);

        // ShardKit's own store and a script with plain SQL write at the same time.
        await using var store = topology.NewStore(workerId: 1);
        // Each writes its own orders (the store the first half of the history, the script the second and what it inserts), so
        // each can check its own history.
        var workload = new MigrationWorkload(store, topology.Ids(2), MigrationTopology.Users, MigrationTopology.Merchants, topology.LegacyOrders / 2);
        using var stop = new CancellationTokenSource();
        var traffic = workload.RunAsync(writers: 2, TimeSpan.FromMilliseconds(10), stop.Token);
        var script = new PlainSqlScript(topology.Legacy.ConnectionString, topology.LegacyOrders / 2 + 1, topology.LegacyOrders);
        var scriptTask = script.RunAsync(stop.Token);

        // Before the cutover the shards refuse every write but the migrator's, plain SQL included.
        var early = topology.Ids(3).Next(1, 1);
        var refused = await Assert.ThrowsAsync<MySqlException>(() => OnUserShardAsync(topology, early.UserShard,
            "INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version) VALUES (@Id, 1, 1, 'early', 1, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1)",
            new { Id = early.Value }));
        Assert.Equal(new ShardFenceSignal(ShardDimension.User, early.UserShard, ShardFenceSignal.Legacy), ShardFenceSignal.Find(refused));
        Assert.Equal(ShardKit.Migration.Authority.Source, ShardFenceSignal.Find(refused)!.Side);

        await Task.Delay(300);   // PLAN: fenced, versioned, not logged
        Assert.Empty(await migrator.StartAsync(CancellationToken.None));
        await Task.Delay(300);   // CAPTURE
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await Task.Delay(300);   // CATCHUP
        await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        var cutover = await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.All(cutover, c => Assert.True(c.Switched, c.Error));
        await Task.Delay(500);   // MOVED: the script's writes are refused now
        await stop.CancelAsync();
        await Task.WhenAll(traffic, scriptTask);
        output.WriteLine($"store: {workload.Operations} operations, {workload.Errors} errors; script: {script.Summary}");

        Assert.True(script.Failures.IsEmpty, string.Join("\n", script.Failures.Take(5)));
        Assert.True(script.Inserts > 5 && script.Updates > 5 && script.ChildUpdates > 5 && script.Deletes > 5, $"the script did too little: {script.Summary}");
        Assert.True(script.Refusals > 0, $"no write of the script was refused after the cutover: {script.Summary}");
        Assert.All(script.RefusalMessages, m => Assert.StartsWith(ShardFenceSignal.Prefix + "user:", m, StringComparison.Ordinal));
        Assert.All(script.RefusalMessages, m => Assert.Contains($" {ShardFenceSignal.Shards}: the shards serve bucket ", m, StringComparison.Ordinal));
        Assert.True(workload.Errors == 0, string.Join("\n", workload.ErrorSamples));
        var problems = await workload.CheckAsync(topology.ReadTargetAsync);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));

        // Every write the script committed reached the shards: each bucket (frozen on the source since its cutover, because
        // the fence refuses the script there) is equal row by row, items included, and no deleted order came back.
        var final = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(final, r => Assert.True(r.Equal, $"bucket {r.Bucket}: source {r.SourceCount} {r.SourceChecksum}, target {r.TargetCount} {r.TargetChecksum}"));
        foreach (var legacyId in script.Deleted)
        {
            var orderId = await store.FindByLegacyIdAsync(legacyId);
            Assert.True(orderId is null, $"legacy order {legacyId}, deleted by the script, came back as {orderId?.Id}");
        }

        foreach (var legacyId in script.Inserted.Except(script.Deleted).Take(20))
        {
            var order = await store.FindByLegacyIdAsync(legacyId);
            Assert.True(order is not null, $"legacy order {legacyId}, inserted by the script, is not on the shards");
        }

        var dimensions = await new DimensionVerifier(topology.Shards).VerifyAsync();
        Assert.True(dimensions.Equal, $"{dimensions.Remaining} merchant copies differ");

        // After the cutover a plain-SQL write on a shard is logged for the reverse flow and reaches the legacy database.
        var movedLegacyId = script.Inserted.Except(script.Deleted).First();
        var moved = (await store.FindByLegacyIdAsync(movedLegacyId))!;
        Assert.Equal(1, await OnUserShardAsync(topology, moved.Id.UserShard, "UPDATE {orders} SET status = 'shard-script', version = version + 1 WHERE order_id = @Id", new { Id = moved.Id.Value }));
        Assert.True(await migrator.ReverseAsync(follow: false, CancellationToken.None) > 0);
        await using (var legacy = new MySqlConnection(topology.Legacy.ConnectionString))
        {
            Assert.Equal("shard-script", await legacy.ExecuteScalarAsync<string>("SELECT status FROM `legacy`.`orders` WHERE order_id = @LegacyId", new { LegacyId = movedLegacyId }));
        }

        // An item-only change raised its order's version on the source, so the copy could not lose it.
        await using var connection = new MySqlConnection(topology.Legacy.ConnectionString);
        Assert.True(await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM `legacy`.`orders`") > 1);
    }

    private static async Task<int> OnUserShardAsync(MigrationTopology topology, int bucket, string sql, object parameters)
    {
        var shard = await topology.App.OpenAsync(topology.App.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, CancellationToken.None);
        await using (shard)
        {
            return await shard.Connection.ExecuteAsync(shard.Sql(sql), parameters);
        }
    }

    /// <summary>A script that writes the built-in legacy tables with plain SQL (orders with items).</summary>
    private sealed class PlainSqlScript(string connectionString, int firstLegacyId, int lastLegacyId) : LegacyScript(connectionString, firstLegacyId, lastLegacyId)
    {
        protected override string InsertRoot =>
            "INSERT INTO `legacy`.`orders` (user_id, merchant_id, status, total_amount, currency, created_at, updated_at) VALUES (@User, @Merchant, 'script', 12.50, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";

        protected override string InsertChildren =>
            "INSERT INTO `legacy`.`order_items` (order_id, line_no, sku, quantity, unit_price) VALUES (@Id, 1, 'SCRIPT-1', 1, 12.50), (@Id, 2, 'SCRIPT-2', 2, 0.00)";

        protected override string UpdateRoot => "UPDATE `legacy`.`orders` SET status = CONCAT('script-', @N) WHERE order_id = @Key";

        protected override string UpdateChild => "UPDATE `legacy`.`order_items` SET quantity = quantity + 1 WHERE order_id = @Key AND line_no = 1";

        protected override string DeleteChildren => "DELETE FROM `legacy`.`order_items` WHERE order_id = @Key";

        protected override string DeleteRoot => "DELETE FROM `legacy`.`orders` WHERE order_id = @Key";

        protected override object InsertParameters(Random random, int n) =>
            new { User = random.Next(1, MigrationTopology.Users + 1), Merchant = random.Next(1, MigrationTopology.Merchants + 1) };
    }
}
