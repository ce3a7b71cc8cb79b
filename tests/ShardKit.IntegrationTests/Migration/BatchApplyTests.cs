using Dapper;
using ShardKit.IntegrationTests.Orders;
using ShardKit.Migration;
using ShardKit.Orders;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The migration's batched apply (<see cref="ClusterCopyWriter"/>: the backfill's, the drains' and the verify's repairs;
/// per cluster, both dimensions in one pass, no outbox) on the built-in schema: one chunk of live and deleted states, every
/// row ends right. The team's declared tables: <c>Tables/TeamClusterCopyTests</c>.
/// </summary>
[Collection("Topology")]
public sealed class BatchApplyTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users and merchants of this class: 95_000_000+ (other classes use other ranges).
    private const long UserBase = 95_000_000;
    private const long MerchantBase = 96_000_000;
    private ShardKitDataSource _shards = null!;
    private TwoDimensionOrderStore _store = null!;

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        _store = new TwoDimensionOrderStore(_shards);
        await SharedSchema.EnsureAsync(_store);
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _shards.DisposeAsync();
    }

    [Fact]
    public async Task AChunkWritesEachRowOnlyWhereItIsNewerThanTheTargetRowAndTombstone()
    {
        var factory = new OrderFactory(workerId: 91);
        var run = Random.Shared.Next(1000) * 20;
        long User(int i) => UserBase + run + i;
        long Merchant(int i) => MerchantBase + run + i;

        // Absent on the target (two of one user, so one shard's statements carry several rows).
        var absent1 = factory.New(User(1), Merchant(1), items: 2);
        var absent2 = factory.New(User(1), Merchant(2), items: 3);

        // Older on the target (v2): the copy (v3) wins, items and all.
        var older = await _store.UpdateAsync(OrderFactory.Changed(await _store.CreateAsync(factory.New(User(2), Merchant(3))), "target-v2", items: 1));

        // The same version on the target (v2): the copy loses even though its content differs.
        var same = await _store.UpdateAsync(OrderFactory.Changed(await _store.CreateAsync(factory.New(User(3), Merchant(4))), "target-v2", items: 2));

        // Newer on the target (v3): the copy (v2) loses.
        var newer = await _store.CreateAsync(factory.New(User(4), Merchant(5)));
        newer = await _store.UpdateAsync(OrderFactory.Changed(newer, "target-v2", items: 1));
        newer = await _store.UpdateAsync(OrderFactory.Changed(newer!, "target-v3", items: 3));

        // Deleted on the target: a copy at the tombstone's version, and one older, stay deleted.
        var deleted1 = await _store.CreateAsync(factory.New(User(5), Merchant(6)));
        Assert.True(await _store.DeleteAsync(deleted1.Id));
        var deleted2 = await _store.CreateAsync(factory.New(User(5), Merchant(7)));
        Assert.True(await _store.DeleteAsync(deleted2.Id));
        var tombstone1 = await TombstoneVersionAsync(deleted1.Id);
        var tombstone2 = await TombstoneVersionAsync(deleted2.Id);

        // A newer delete: the row goes, a tombstone stays, the merchant copy is marked deleted.
        var toDelete = await _store.CreateAsync(factory.New(User(6), Merchant(8), items: 2));

        // The merchant copy is ahead of the user side (v10): the user side takes v2, the merchant copy keeps v10 and its items.
        var merchantAhead = await _store.CreateAsync(factory.New(User(7), Merchant(9), items: 1));
        await ExecuteOnAsync(merchantAhead.Id, ShardDimension.Merchant, "UPDATE {orders} SET version = 10, status = 'merchant-v10' WHERE order_id = @OrderId");

        UserSideState[] chunk =
        [
            Live(absent1, 1, "copy-absent-1"),
            Live(absent2, 1, "copy-absent-2"),
            Live(older!, 3, "copy-v3"),
            Live(same!, 2, "copy-same"),
            Live(newer!, 2, "copy-old"),
            Live(deleted1, tombstone1, "copy-at-tombstone"),
            Live(deleted2, tombstone2 - 1, "copy-before-delete"),
            new UserSideState(toDelete.WithStoredState([], toDelete.CreatedAt, toDelete.UpdatedAt.AddSeconds(1), 2), deleted: true),
            Live(merchantAhead, 2, "copy-v2"),
        ];
        var outboxBefore = await OutboxEntriesAsync(chunk);

        var written = await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None);

        Assert.Equal(5, written);
        foreach (var winner in new[] { chunk[0], chunk[1], chunk[2] })
        {
            Assert.Equal(OrderFactory.Describe(winner.Order), OrderFactory.Describe(await _store.GetAsync(winner.Order.Id)));
            Assert.Equal(OrderFactory.Describe(winner.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(winner.Order.Id)));
        }

        foreach (var (loser, target) in new[] { (chunk[3], same!), (chunk[4], newer!) })
        {
            Assert.Equal(OrderFactory.Describe(target), OrderFactory.Describe(await _store.GetAsync(loser.Order.Id)));
            Assert.Equal(OrderFactory.Describe(target), OrderFactory.Describe(await _store.GetMerchantCopyAsync(loser.Order.Id)));
        }

        foreach (var (gone, version) in new[] { (deleted1.Id, tombstone1), (deleted2.Id, tombstone2), (toDelete.Id, 2L) })
        {
            Assert.Null(await _store.GetAsync(gone));
            Assert.Null(await _store.GetMerchantCopyAsync(gone));
            Assert.Equal(version, await TombstoneVersionAsync(gone));
            Assert.Equal((version, true), await MerchantVersionAsync(gone));
        }

        Assert.Equal(OrderFactory.Describe(chunk[8].Order), OrderFactory.Describe(await _store.GetAsync(merchantAhead.Id)));
        Assert.Equal((10L, false), await MerchantVersionAsync(merchantAhead.Id));
        var merchantCopy = (await _store.GetMerchantCopyAsync(merchantAhead.Id))!;
        Assert.Equal("merchant-v10", merchantCopy.Status);
        Assert.Equal(merchantAhead.Items.Select(i => i.Sku), merchantCopy.Items.Select(i => i.Sku));

        // Both dimensions hold each winner's version (nothing is left for a relay), each loser's is what was there; the
        // writer writes no outbox entry, for winners or losers.
        foreach (var winner in new[] { chunk[0], chunk[1], chunk[2] })
        {
            Assert.Equal((winner.Version, false), await UserVersionAsync(winner.Id));
            Assert.Equal((winner.Version, false), await MerchantVersionAsync(winner.Id));
        }

        Assert.Equal((2L, false), await UserVersionAsync(same!.Id));
        Assert.Equal((2L, false), await MerchantVersionAsync(same.Id));
        Assert.Equal((2L, true), await UserVersionAsync(toDelete.Id));
        Assert.Equal(outboxBefore, await OutboxEntriesAsync(chunk));
    }

    [Fact]
    public async Task ApplyingTheSameChunkTwiceWritesNothingTheSecondTime()
    {
        var factory = new OrderFactory(workerId: 92);
        var run = Random.Shared.Next(1000) * 20;
        UserSideState[] chunk = Enumerable.Range(0, 12)
            .Select(i => Live(factory.New(UserBase + 500_000 + run + (i % 4), MerchantBase + 500_000 + run + i, items: 1 + (i % 3)), 1, "copy-" + i))
            .ToArray();

        var writer = new ClusterCopyWriter(_shards);
        Assert.Equal(12, await writer.WriteAsync(chunk, CancellationToken.None));
        Assert.Equal(0, await writer.WriteAsync(chunk, CancellationToken.None));

        foreach (var state in chunk)
        {
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetAsync(state.Order.Id)));
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(state.Order.Id)));
            Assert.Equal((1L, false), await UserVersionAsync(state.Order.Id));
            Assert.Equal((1L, false), await MerchantVersionAsync(state.Order.Id));
            Assert.Equal(0, await OutboxEntriesAsync(state.Order.Id));
        }
    }

    [Fact]
    public async Task ApplyingAChunkAgainGivesTheMerchantCopyToOrdersWhoseUserSideWasWrittenByARunThatDied()
    {
        var factory = new OrderFactory(workerId: 93);
        var run = Random.Shared.Next(1000) * 20;
        var live = Live(factory.New(UserBase + 700_000 + run, MerchantBase + 700_000 + run, items: 2), 1, "copy-live");
        var gone = factory.New(UserBase + 700_000 + run + 1, MerchantBase + 700_000 + run + 1);
        var deleted = new UserSideState(gone.WithStoredState([], gone.CreatedAt, gone.UpdatedAt, 3), deleted: true);
        UserSideState[] chunk = [live, deleted];
        Assert.Equal(2, await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None));

        // As if the run had died after committing the user side and before the merchant copies (the user and merchant shards
        // of an order can be on different clusters, written in different transactions).
        foreach (var state in chunk)
        {
            await ExecuteOnAsync(state.Order.Id, ShardDimension.Merchant, "DELETE FROM {order_items} WHERE order_id = @OrderId");
            await ExecuteOnAsync(state.Order.Id, ShardDimension.Merchant, "DELETE FROM {orders} WHERE order_id = @OrderId");
            await ExecuteOnAsync(state.Order.Id, ShardDimension.Merchant, "DELETE FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId");
        }

        Assert.Equal(0, await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None));

        Assert.Equal(OrderFactory.Describe(live.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(live.Order.Id)));
        Assert.Equal((3L, true), await MerchantVersionAsync(gone.Id));
        Assert.Null(await _store.GetMerchantCopyAsync(gone.Id));
    }

    [Fact]
    public async Task ALiveCopyAtATombstonesVersionDoesNotBringBackTheMerchantCopy()
    {
        var factory = new OrderFactory(workerId: 94);
        var run = Random.Shared.Next(1000) * 20;
        var order = await _store.CreateAsync(factory.New(UserBase + 800_000 + run, MerchantBase + 800_000 + run));
        Assert.True(await _store.DeleteAsync(order.Id));
        var tombstone = await TombstoneVersionAsync(order.Id);
        await ExecuteOnAsync(order.Id, ShardDimension.Merchant, "DELETE FROM {order_items} WHERE order_id = @OrderId");
        await ExecuteOnAsync(order.Id, ShardDimension.Merchant, "DELETE FROM {orders} WHERE order_id = @OrderId");

        Assert.Equal(0, await new ClusterCopyWriter(_shards).WriteAsync([Live(order, tombstone, "copy-at-tombstone")], CancellationToken.None));

        Assert.Null(await _store.GetAsync(order.Id));
        Assert.Null(await _store.GetMerchantCopyAsync(order.Id));
    }

    [Fact]
    public async Task ACopyWinsOnlyWhereItIsNewerAndATombstoneAlwaysWinsOverAnOlderCopy()
    {
        var factory = new OrderFactory(workerId: 81);
        var run = Random.Shared.Next(1000) * 20;
        long User(int i) => UserBase + 400_000 + run + i;
        long Merchant(int i) => MerchantBase + 400_000 + run + i;

        var absent = factory.New(User(1), Merchant(1), items: 2);
        var older = await _store.UpdateAsync(OrderFactory.Changed(await _store.CreateAsync(factory.New(User(2), Merchant(2), items: 3)), "target-v2", items: 3));
        var same = await _store.UpdateAsync(OrderFactory.Changed(await _store.CreateAsync(factory.New(User(3), Merchant(3))), "target-v2", items: 2));
        var newer = await _store.CreateAsync(factory.New(User(4), Merchant(4)));
        newer = await _store.UpdateAsync(OrderFactory.Changed(newer, "target-v2", items: 1));
        newer = await _store.UpdateAsync(OrderFactory.Changed(newer!, "target-v3", items: 3));
        var deleted = await _store.CreateAsync(factory.New(User(5), Merchant(5)));
        Assert.True(await _store.DeleteAsync(deleted.Id));
        var tombstone = await TombstoneVersionAsync(deleted.Id);
        var merchantAhead = await _store.CreateAsync(factory.New(User(6), Merchant(6), items: 1));
        await ExecuteOnAsync(merchantAhead.Id, ShardDimension.Merchant, "UPDATE {orders} SET version = 10, status = 'merchant-v10' WHERE order_id = @OrderId");

        UserSideState[] chunk =
        [
            Live(absent, 1, "copy-absent"),
            Live(older!, 4, "copy-v4"),               // older on the target (v2, three items): wins, its items replaced by the copy's two
            Live(same!, 2, "copy-same"),              // the same version: loses although its content differs
            Live(newer!, 2, "copy-old"),              // newer on the target: loses
            Live(deleted, tombstone, "copy-at-tombstone"),
            Live(deleted, tombstone - 1, "copy-before-delete"),
            Live(merchantAhead, 2, "copy-v2"),
        ];

        await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None);

        foreach (var winner in new[] { chunk[0], chunk[1] })
        {
            Assert.Equal(OrderFactory.Describe(winner.Order), OrderFactory.Describe(await _store.GetAsync(winner.Order.Id)));
            Assert.Equal(OrderFactory.Describe(winner.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(winner.Order.Id)));
        }

        foreach (var (loser, target) in new[] { (chunk[2], same!), (chunk[3], newer!) })
        {
            Assert.Equal(OrderFactory.Describe(target), OrderFactory.Describe(await _store.GetAsync(loser.Order.Id)));
            Assert.Equal(OrderFactory.Describe(target), OrderFactory.Describe(await _store.GetMerchantCopyAsync(loser.Order.Id)));
        }

        Assert.Null(await _store.GetAsync(deleted.Id));
        Assert.Null(await _store.GetMerchantCopyAsync(deleted.Id));
        Assert.Equal(tombstone, await TombstoneVersionAsync(deleted.Id));

        Assert.Equal(OrderFactory.Describe(chunk[6].Order), OrderFactory.Describe(await _store.GetAsync(merchantAhead.Id)));
        var merchantCopy = (await _store.GetMerchantCopyAsync(merchantAhead.Id))!;
        Assert.Equal(10, merchantCopy.Version);
        Assert.Equal("merchant-v10", merchantCopy.Status);
        Assert.Equal(merchantAhead.Items.Select(i => i.Sku), merchantCopy.Items.Select(i => i.Sku));

        // The copy writes no outbox entry (it writes both dimensions itself).
        Assert.Equal(0, await OutboxEntriesAsync(absent.Id));
    }

    [Fact]
    public async Task AMerchantTombstoneWinsOverALiveCopyWhateverItsVersion()
    {
        var factory = new OrderFactory(workerId: 82);
        var run = Random.Shared.Next(1000) * 20;
        var order = factory.New(UserBase + 100_000 + run, MerchantBase + 100_000 + run);
        await ExecuteOnAsync(order.Id, ShardDimension.Merchant,
            "INSERT INTO {schema}.`shardkit_tombstones` (order_id, user_id, merchant_id, created_at, deleted_at, version) VALUES (@OrderId, 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1)");

        await new ClusterCopyWriter(_shards).WriteAsync([Live(order, 5, "copy-v5")], CancellationToken.None);

        Assert.Equal(OrderFactory.Describe(Live(order, 5, "copy-v5").Order), OrderFactory.Describe(await _store.GetAsync(order.Id)));
        Assert.Null(await _store.GetMerchantCopyAsync(order.Id));
    }

    [Fact]
    public async Task AClusterBatchLargerThanThePacketIsSplitAndEveryRowArrives()
    {
        var factory = new OrderFactory(workerId: 83);
        var run = Random.Shared.Next(1000) * 20;
        var chunk = Enumerable.Range(0, 60)
            .Select(i => Live(factory.New(UserBase + 200_000 + run + (i % 7), MerchantBase + 200_000 + run + i, items: 1 + (i % 3)), 1, "copy-" + i))
            .ToArray();
        var clusters = chunk.SelectMany(s => new[] { _shards.Map.RouteOrder(s.Id, ShardDimension.User), _shards.Map.RouteOrder(s.Id, ShardDimension.Merchant) })
            .Select(r => r.Cluster.Name).Distinct().Count();

        var writer = new ClusterCopyWriter(_shards) { MaxBatchBytes = 4096 };
        await writer.WriteAsync(chunk, CancellationToken.None);

        Assert.True(writer.Batches > clusters, $"{writer.Batches} batches for {clusters} clusters: a 4 KB limit splits a chunk of 60 orders");
        foreach (var state in chunk)
        {
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetAsync(state.Order.Id)));
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(state.Order.Id)));
        }
    }

    [Fact]
    public async Task AChunkStoppedAfterSomeBatchesAndCopiedAgainConverges()
    {
        var factory = new OrderFactory(workerId: 84);
        var run = Random.Shared.Next(1000) * 20;
        var orders = Enumerable.Range(0, 40)
            .Select(i => factory.New(UserBase + 300_000 + run + (i % 5), MerchantBase + 300_000 + run + i, items: 1 + (i % 3)))
            .ToArray();

        // A run that died mid-apply: some batches committed (here: the first half of the chunk at version 1), the rest not.
        await new ClusterCopyWriter(_shards) { MaxBatchBytes = 4096 }.WriteAsync(orders.Take(20).Select(o => Live(o, 1, "first")).ToArray(), CancellationToken.None);

        // The chunk copied again from the checkpoint; meanwhile a few orders changed on the source (version 2, other items).
        var chunk = orders.Select((o, i) => i % 4 == 0 ? Live(o, 2, "second") : Live(o, 1, "first")).ToArray();
        await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None);
        await new ClusterCopyWriter(_shards).WriteAsync(chunk, CancellationToken.None);

        foreach (var state in chunk)
        {
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetAsync(state.Order.Id)));
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(state.Order.Id)));
        }
    }

    [Fact]
    public async Task ABackfillChunkReadAsAKeyRangeFindsItsEarlierCopyAndLeavesOtherRowsOfTheRangeAlone()
    {
        var factory = new OrderFactory(workerId: 85);
        var run = Random.Shared.Next(1000) * 20;
        var keys = 900_000_000L + (Random.Shared.Next(1_000_000) * 100L);

        // A chunk: 40 legacy orders of consecutive keys with derived IDs (5 users, so schemas hold several), and one order
        // carrying an ID of its own among them (read by list, beside the range).
        OrderRecord Legacy(int i)
        {
            var order = factory.New(UserBase + 400_000 + run + (i % 5), MerchantBase + 400_000 + run + (i % 7), items: 1 + (i % 3));
            return new OrderRecord
            {
                Id = LegacyOrderIds.Derive(_shards.Map, keys + i, order.UserId, order.MerchantId),
                UserId = order.UserId,
                MerchantId = order.MerchantId,
                Status = order.Status,
                TotalAmount = order.TotalAmount,
                Currency = order.Currency,
                Ext = order.Ext,
                Items = order.Items,
            };
        }

        var orders = Enumerable.Range(0, 40).Select(Legacy).Append(factory.New(UserBase + 400_000 + run, MerchantBase + 400_000 + run, items: 2)).ToArray();
        var writer = new ClusterCopyWriter(_shards) { KeyRangeChunks = true };
        Assert.Equal(41, await writer.WriteAsync(orders.Select(o => Live(o, 1, "first")).ToArray(), CancellationToken.None));

        // The chunk copied again after a crash: every fourth order changed on the source (version 2, other items), the one with
        // its own ID too, and order 17 was deleted there since, so the chunk does not hold it.
        var chunk = orders.Select((o, i) => (Order: o, Index: i)).Where(x => x.Index != 17)
            .Select(x => x.Index % 4 == 0 ? Live(x.Order, 2, "second") : Live(x.Order, 1, "first"))
            .ToArray();
        Assert.Equal(11, await writer.WriteAsync(chunk, CancellationToken.None));
        Assert.Equal(0, await writer.WriteAsync(chunk, CancellationToken.None));

        foreach (var state in chunk)
        {
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetAsync(state.Order.Id)));
            Assert.Equal(OrderFactory.Describe(state.Order), OrderFactory.Describe(await _store.GetMerchantCopyAsync(state.Order.Id)));
        }

        // The order in the range that the chunk does not hold keeps its rows: its deletion is the drains' to apply.
        var untouched = Live(orders[17], 1, "first").Order;
        Assert.Equal(OrderFactory.Describe(untouched), OrderFactory.Describe(await _store.GetAsync(untouched.Id)));
        Assert.Equal(OrderFactory.Describe(untouched), OrderFactory.Describe(await _store.GetMerchantCopyAsync(untouched.Id)));
    }

    /// <summary>A live source state of <paramref name="order"/> at <paramref name="version"/> whose content differs from every target state.</summary>
    private static UserSideState Live(OrderRecord order, long version, string status)
    {
        var changed = OrderFactory.Changed(order, status, items: 2 + (int)(version % 2));
        var stamp = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(version);
        return new UserSideState(changed.WithStoredState(changed.Items.ToArray(), order.CreatedAt == default ? stamp : order.CreatedAt, stamp, version), deleted: false);
    }

    private async Task<long> TombstoneVersionAsync(OrderId id)
    {
        var shard = await _shards.OpenOrderShardAsync(id, ShardDimension.User, ShardIntent.Write);
        await using var _ = shard;
        return await shard.Connection.ExecuteScalarAsync<long>(shard.Sql("SELECT IFNULL(MAX(version), 0) FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId"), new { OrderId = id.Value });
    }

    private async Task<(long Version, bool Deleted)> MerchantVersionAsync(OrderId id)
    {
        var shard = await _shards.OpenOrderShardAsync(id, ShardDimension.Merchant, ShardIntent.Write);
        await using var _ = shard;
        // A deleted order's merchant copy is its tombstone (and no row); a live one is its row (and no tombstone).
        var (row, tombstone) = await shard.Connection.QuerySingleAsync<(long?, long?)>(
            shard.Sql("SELECT (SELECT version FROM {orders} WHERE order_id = @OrderId), (SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId)"), new { OrderId = id.Value });
        Assert.False(row is not null && tombstone is not null, $"order {id} has both a merchant row (v{row}) and a merchant tombstone (v{tombstone})");
        return tombstone is { } dead ? (dead, true) : (row ?? throw new InvalidOperationException($"order {id} has no merchant copy"), false);
    }

    private async Task ExecuteOnAsync(OrderId id, ShardDimension dimension, string sql)
    {
        var shard = await _shards.OpenOrderShardAsync(id, dimension, ShardIntent.Write);
        await using var _ = shard;
        await shard.Connection.ExecuteAsync(shard.Sql(sql), new { OrderId = id.Value });
    }

    /// <summary>A deleted order's user side is its tombstone (and no row); a live one is its row (and no tombstone).</summary>
    private async Task<(long Version, bool Deleted)> UserVersionAsync(OrderId id)
    {
        var shard = await _shards.OpenOrderShardAsync(id, ShardDimension.User, ShardIntent.Write);
        await using var _ = shard;
        var (row, tombstone) = await shard.Connection.QuerySingleAsync<(long?, long?)>(
            shard.Sql("SELECT (SELECT version FROM {orders} WHERE order_id = @OrderId), (SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId)"), new { OrderId = id.Value });
        Assert.False(row is not null && tombstone is not null, $"order {id} has both a user row (v{row}) and a user tombstone (v{tombstone})");
        return tombstone is { } dead ? (dead, true) : (row ?? throw new InvalidOperationException($"order {id} has no user side"), false);
    }

    private async Task<int> OutboxEntriesAsync(OrderId id)
    {
        var shard = await _shards.OpenOrderShardAsync(id, ShardDimension.User, ShardIntent.Write);
        await using var _ = shard;
        return await shard.Connection.ExecuteScalarAsync<int>(shard.Sql("SELECT COUNT(*) FROM {schema}.`shardkit_outbox` WHERE order_id = @OrderId"), new { OrderId = id.Value });
    }

    private async Task<Dictionary<long, int>> OutboxEntriesAsync(IEnumerable<UserSideState> states)
    {
        var entries = new Dictionary<long, int>();
        foreach (var state in states)
        {
            entries[state.Id.Value] = await OutboxEntriesAsync(state.Id);
        }

        return entries;
    }
}
