using Dapper;
using ShardKit.Migrations.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The migration's guarantees one at a time, each on a topology of its own with a small legacy history.</summary>
public sealed class MigrationGuaranteeTests
{
    [Fact]
    public async Task TheCopyLosesToNewerWritesAndDeletesInEveryInterleaving()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 60);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await using var store = topology.NewStore(workerId: 3);
        await migrator.StartAsync(CancellationToken.None);
        var orders = new Dictionary<int, OrderRecord>();
        for (var legacyId = 1; legacyId <= 6; legacyId++)
        {
            orders[legacyId] = (await store.FindByLegacyIdAsync(legacyId))!;
        }

        // update → apply → copy (3, 4 deleted): applied before the copy reads; the copy finds the same version and loses.
        var updated3 = await store.UpdateAsync(MigrationWorkload.Changed(orders[3], 3));
        Assert.True(await store.DeleteAsync(orders[4].Id));
        await migrator.CatchupAsync(progress: null, CancellationToken.None);

        // update → copy → apply (5, 6 deleted): the copy reads the new state, the apply finds it there.
        var updated5 = await store.UpdateAsync(MigrationWorkload.Changed(orders[5], 2));
        Assert.True(await store.DeleteAsync(orders[6].Id));

        // copy → update → apply (1, 2 deleted): the chunk is read, then the writes commit and are applied, then the copy writes its older state.
        OrderRecord? updated1 = null;
        migrator.Step = async step =>
        {
            if (step == "backfill.read" && updated1 is null)
            {
                updated1 = await store.UpdateAsync(MigrationWorkload.Changed(orders[1], 1));
                Assert.True(await store.DeleteAsync(orders[2].Id));
                await migrator.Drainer.DrainForwardAsync(bucket: null, CancellationToken.None);
            }
        };
        await migrator.BackfillAsync(progress: null, CancellationToken.None);

        Assert.NotNull(updated1);
        Assert.Equal(MigrationWorkload.Describe(updated1), MigrationWorkload.Describe((await topology.ReadTargetAsync(orders[1].Id))!));
        Assert.Equal(MigrationWorkload.Describe(updated3!), MigrationWorkload.Describe((await topology.ReadTargetAsync(orders[3].Id))!));
        Assert.Equal(MigrationWorkload.Describe(updated5!), MigrationWorkload.Describe((await topology.ReadTargetAsync(orders[5].Id))!));
        foreach (var deleted in new[] { 2, 4, 6 })
        {
            Assert.Null(await topology.ReadTargetAsync(orders[deleted].Id));
        }

        var verified = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(verified, r => Assert.True(r.Equal, $"bucket {r.Bucket} differs"));
    }

    [Fact]
    public async Task VerifyFindsACorruptedTargetRowAndRepairsItFromTheSource()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 80);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await migrator.StartAsync(CancellationToken.None);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await using var store = topology.NewStore(workerId: 4);
        var order = (await store.FindByLegacyIdAsync(17))!;
        await using (var shard = await topology.Shards.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write))
        {
            await shard.Connection.ExecuteAsync(shard.Sql("UPDATE {orders} SET status = 'corrupted' WHERE order_id = @Id"), new { Id = order.Id.Value });
        }

        var found = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        var bad = Assert.Single(found, r => !r.Equal);
        Assert.Equal(order.Id.UserShard, bad.Bucket);
        var difference = Assert.Single(bad.Differences);
        Assert.Equal((order.Id.Value, "Different", false), (difference.OrderId, difference.Kind, difference.Repaired));

        var repaired = await migrator.VerifyAsync(repair: true, buckets: [bad.Bucket], progress: null, CancellationToken.None);
        Assert.True(repaired[0].Equal);
        Assert.True(Assert.Single(repaired[0].Differences).Repaired);
        Assert.Equal(order.Status, (await topology.ReadTargetAsync(order.Id))!.Status);
        Assert.True((await new DimensionVerifier(topology.Shards).VerifyAsync()).Equal);
    }

    [Fact]
    public async Task VerifyRepairsATooNewTargetVersionAndRemovesAnOrderTheSourceHasNoTraceOfFromBothDimensions()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 80);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await migrator.StartAsync(CancellationToken.None);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await using var store = topology.NewStore(workerId: 6);
        var order = (await store.FindByLegacyIdAsync(23))!;

        // A target row whose version claims to be newer than the source's (an ordinary copy never overwrites it), and an
        // order on both dimensions of the target that the source has no trace of, in the same bucket.
        var extra = topology.Ids(workerId: 7).Next(order.UserId, order.MerchantId);
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            await using var shard = await topology.Shards.OpenOrderShardAsync(order.Id, dimension, ShardIntent.Write);
            var other = topology.Shards.Map.RouteOrder(extra, dimension);
            await using var target = await topology.Shards.OpenAsync(other, ShardIntent.Write);
            var row = await shard.Connection.QuerySingleAsync(shard.Sql("SELECT * FROM {orders} WHERE order_id = @Id"), new { Id = order.Id.Value });
            var values = new DynamicParameters();
            values.AddDynamicParams((IDictionary<string, object>)row);
            values.Add("order_id", extra.Value);
            await target.Connection.ExecuteAsync(target.Sql(
                "INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext) " +
                "VALUES (@order_id, @user_id, @merchant_id, @status, @total_amount, @currency, @created_at, @updated_at, @version, @ext)"), values);
            await target.Connection.ExecuteAsync(target.Sql("INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES (@Id, 1, 'EXTRA', 1, 1.00)"), new { Id = extra.Value });
        }

        await using (var shard = await topology.Shards.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write))
        {
            await shard.Connection.ExecuteAsync(shard.Sql("UPDATE {orders} SET version = 99, status = 'too-new' WHERE order_id = @Id"), new { Id = order.Id.Value });
        }

        var found = await migrator.VerifyAsync(repair: false, buckets: [order.Id.UserShard], progress: null, CancellationToken.None);
        Assert.Equal(
            new[] { (extra.Value, "ExtraOnTarget"), (order.Id.Value, "Different") }.OrderBy(d => d.Item1),
            found[0].Differences.Select(d => (d.OrderId, d.Kind)).OrderBy(d => d.OrderId));

        var repaired = await migrator.VerifyAsync(repair: true, buckets: [order.Id.UserShard], progress: null, CancellationToken.None);
        Assert.True(repaired[0].Equal);
        Assert.All(repaired[0].Differences, d => Assert.True(d.Repaired));
        var rewritten = (await topology.ReadTargetAsync(order.Id))!;
        Assert.Equal((order.Status, order.Version), (rewritten.Status, rewritten.Version));
        Assert.Null(await topology.ReadTargetAsync(extra));
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            await using var shard = await topology.Shards.OpenAsync(topology.Shards.Map.RouteOrder(extra, dimension), ShardIntent.Write);
            Assert.Equal(0L, await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(
                "SELECT (SELECT COUNT(*) FROM {orders} WHERE order_id = @Id) + (SELECT COUNT(*) FROM {order_items} WHERE order_id = @Id)"), new { Id = extra.Value }));
        }

        Assert.True((await new DimensionVerifier(topology.Shards).VerifyAsync()).Equal);
    }

    [Fact]
    public async Task AStaleInstanceThatMissedTheCutoverCannotWriteToTheSource()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 40);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await migrator.StartAsync(CancellationToken.None);
        await using var stale = topology.NewStore(workerId: 5, pollInterval: TimeSpan.FromMinutes(1));
        var order = (await stale.FindByLegacyIdAsync(9))!;
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        var seen = stale.StateVersion;

        var updated = await stale.UpdateAsync(MigrationWorkload.Changed(order, 2));

        Assert.Equal(seen, stale.StateVersion);   // it never polled: the source fence sent the write to the shards
        Assert.Equal(MigrationWorkload.Describe(updated!), MigrationWorkload.Describe((await topology.ReadTargetAsync(order.Id))!));
        var sourceVersion = await topology.Legacy.QueryScalarAsync("SELECT version FROM legacy.orders WHERE order_id = 9");
        Assert.Equal(order.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), sourceVersion);
    }

    [Fact]
    public async Task RollbackAfterCutoverLosesNothingWrittenAfterCutover()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 50);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await using var store = topology.NewStore(workerId: 6);
        await migrator.StartAsync(CancellationToken.None);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);

        // Written on the shards after cutover: a new order, an update of a legacy order, a delete of another.
        var ids = topology.Ids(7);
        var created = await store.CreateAsync(MigrationWorkload.NewOrder(ids.Next(11, 3), 11, 3, "created", 2));
        var legacy = (await store.FindByLegacyIdAsync(5))!;
        var updated = await store.UpdateAsync(MigrationWorkload.Changed(legacy, 3));
        var doomed = (await store.FindByLegacyIdAsync(6))!;
        Assert.True(await store.DeleteAsync(doomed.Id));

        var rolledBack = await migrator.RollbackAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.All(rolledBack, r => Assert.True(r.Switched, r.Error));
        await store.RefreshAsync();

        // The source is authoritative again and holds every write made on the shards.
        Assert.Equal(MigrationWorkload.Describe(created), MigrationWorkload.Describe((await store.GetAsync(created.Id))!));
        Assert.Equal(MigrationWorkload.Describe(updated!), MigrationWorkload.Describe((await store.GetAsync(legacy.Id))!));
        Assert.Null(await store.GetAsync(doomed.Id));
        Assert.Equal("0", await topology.Legacy.QueryScalarAsync("SELECT COUNT(*) FROM legacy.orders WHERE order_id = 6"));
        Assert.Equal("1", await topology.Legacy.QueryScalarAsync($"SELECT COUNT(*) FROM legacy.orders WHERE shardkit_order_id = {created.Id.Value}"));

        // And the bucket can be cut over again.
        var again = await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.All(again, r => Assert.True(r.Switched, r.Error));
        Assert.Equal(MigrationWorkload.Describe(updated!), MigrationWorkload.Describe((await topology.ReadTargetAsync(legacy.Id))!));
    }

    [Fact]
    public async Task AMigratorKilledAtEveryStepResumesToTheSameEndState()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 300);
        using (var planner = topology.NewMigrator())
        {
            await planner.PlanAsync(CancellationToken.None);
        }

        await using var store = topology.NewStore(workerId: 8);
        var workload = new MigrationWorkload(store, topology.Ids(9), MigrationTopology.Users, MigrationTopology.Merchants, topology.LegacyOrders);
        using var stop = new CancellationTokenSource();
        var traffic = workload.RunAsync(writers: 2, TimeSpan.FromMilliseconds(10), stop.Token);

        // Each run dies at the next kill point (the exception unwinds like a dropped connection: nothing commits after it).
        string[] killPoints = ["backfill.copied", "backfill.checkpoint", "catchup.drained", "cutover.frozen", "cutover.switched", "cutover.recorded"];
        var kills = 0;
        var finished = false;
        while (!finished)
        {
            using var migrator = topology.NewMigrator(chunkSize: 50);
            var killAt = kills < killPoints.Length ? killPoints[kills] : null;
            var hits = 0;
            migrator.Step = step => step == killAt && ++hits == 2 ? throw new SimulatedCrashException(step) : Task.CompletedTask;
            try
            {
                await migrator.StartAsync(CancellationToken.None);
                await migrator.BackfillAsync(progress: null, CancellationToken.None);
                await migrator.CatchupAsync(progress: null, CancellationToken.None);
                await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
                finished = (await migrator.StatusAsync(CancellationToken.None)).Buckets.All(b => b.State == "MOVED");
                kills = killPoints.Length;
            }
            catch (SimulatedCrashException)
            {
                kills++;
            }
        }

        await Task.Delay(300);
        await stop.CancelAsync();
        await traffic;
        Assert.True(workload.Errors == 0, string.Join("\n", workload.ErrorSamples));
        var problems = await workload.CheckAsync(topology.ReadTargetAsync);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
        using var checker = topology.NewMigrator();
        var final = await checker.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(final, r => Assert.True(r.Equal, $"bucket {r.Bucket} differs"));
        Assert.True((await new DimensionVerifier(topology.Shards).VerifyAsync()).Equal);
    }
}
