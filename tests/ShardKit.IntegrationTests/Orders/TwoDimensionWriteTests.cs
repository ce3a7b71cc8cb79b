using Dapper;

namespace ShardKit.IntegrationTests.Orders;

[Collection("Topology")]
public sealed class TwoDimensionWriteTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users and merchants of this class: 71_000_000+ (other classes use other ranges).
    private const long UserBase = 71_000_000;
    private const long MerchantBase = 72_000_000;
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
    public async Task CreateWritesTheMerchantCopyAndMarksTheOutboxEntryApplied()
    {
        var factory = new OrderFactory(workerId: 11);
        var created = await _store.CreateAsync(factory.New(UserBase + 1, MerchantBase + 1, items: 3));

        Assert.Equal(1, created.Version);
        var user = await _store.GetAsync(created.Id);
        var merchant = await _store.GetMerchantCopyAsync(created.Id);
        Assert.Equal(OrderFactory.Describe(created), OrderFactory.Describe(user));
        Assert.Equal(OrderFactory.Describe(user), OrderFactory.Describe(merchant));
        Assert.Equal(3, merchant!.Items.Count);

        // The mark is written off the caller's path, in the background.
        await _store.FlushOutboxMarksAsync();
        Assert.Equal(0, await PendingEntriesAsync(created.Id));
    }

    [Fact]
    public async Task UpdateReplacesFieldsAndItemsOnTheMerchantCopy()
    {
        var factory = new OrderFactory(workerId: 12);
        var created = await _store.CreateAsync(factory.New(UserBase + 2, MerchantBase + 2, items: 3));

        var updated = await _store.UpdateAsync(OrderFactory.Changed(created, "paid", items: 1));

        Assert.NotNull(updated);
        Assert.Equal(2, updated.Version);
        var merchant = await _store.GetMerchantCopyAsync(created.Id);
        Assert.Equal(OrderFactory.Describe(updated), OrderFactory.Describe(merchant));
        Assert.Single(merchant!.Items);
        Assert.Equal("paid", merchant.Status);
    }

    [Fact]
    public async Task DeleteLeavesATombstoneThatHidesTheMerchantCopy()
    {
        var factory = new OrderFactory(workerId: 13);
        var created = await _store.CreateAsync(factory.New(UserBase + 3, MerchantBase + 3));

        Assert.True(await _store.DeleteAsync(created.Id));

        Assert.Null(await _store.GetAsync(created.Id));
        Assert.Null(await _store.GetMerchantCopyAsync(created.Id));
        var (row, tombstone) = await MerchantRowAsync(created.Id);
        Assert.Null(row);
        Assert.Equal(2, tombstone);
        Assert.False(await _store.DeleteAsync(created.Id));
        Assert.Null(await _store.UpdateAsync(OrderFactory.Changed(created, "paid", 1)));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(created));
    }

    [Fact]
    public async Task AnOlderApplyNeverOverwritesANewerCopyNorResurrectsADeletedOrder()
    {
        var factory = new OrderFactory(workerId: 14);
        var created = await _store.CreateAsync(factory.New(UserBase + 4, MerchantBase + 4));
        var updated = await _store.UpdateAsync(OrderFactory.Changed(created, "paid", 2));

        // Write an old version (1) straight into the merchant shard with the merchant copy's writer: it must lose.
        await WriteMerchantCopyAsync(created.WithStoredState(created.Items, created.CreatedAt, created.UpdatedAt, 1), "stale");
        Assert.Equal(OrderFactory.Describe(updated), OrderFactory.Describe(await _store.GetMerchantCopyAsync(created.Id)));

        // After the delete, no older version brings the order back.
        await _store.DeleteAsync(created.Id);
        await WriteMerchantCopyAsync(created.WithStoredState(created.Items, created.CreatedAt, created.UpdatedAt, 2), "resurrected");
        await WriteMerchantCopyAsync(created.WithStoredState(created.Items, created.CreatedAt, created.UpdatedAt, 1), "created-late"); // a create's copy arriving last

        Assert.Null(await _store.GetMerchantCopyAsync(created.Id));
        Assert.Equal(((long?)null, (long?)3L), await MerchantRowAsync(created.Id));
    }

    [Fact]
    public async Task MerchantPagesFollowTheKeysetNewestFirstAndSkipDeletedOrders()
    {
        var factory = new OrderFactory(workerId: 15);
        const long merchantId = MerchantBase + 5;
        var orders = new List<OrderRecord>();
        for (var i = 0; i < 7; i++)
        {
            orders.Add(await _store.CreateAsync(factory.New(UserBase + 10 + i, merchantId, items: 1)));
        }

        await _store.DeleteAsync(orders[3].Id);
        var expected = orders.Where((_, i) => i != 3).OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id.Value).Select(o => o.Id).ToList();

        var seen = new List<OrderId>();
        MerchantOrderCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await _store.ListMerchantOrdersAsync(merchantId, pageSize: 4, cursor);
            Assert.All(page.Orders, o => Assert.Single(o.Items));
            seen.AddRange(page.Orders.Select(o => o.Id));
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(2, pages);
    }

    [Fact]
    public async Task WithoutImmediateApplyTheRelayAppliesThePendingEntriesAndTheLagShowsThemUntilThen()
    {
        var factory = new OrderFactory(workerId: 16);
        using var deferred = new TwoDimensionOrderStore(_shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        var created = await deferred.CreateAsync(factory.New(UserBase + 30, MerchantBase + 30));
        var updated = await deferred.UpdateAsync(OrderFactory.Changed(created, "paid", 4));

        Assert.Null(await deferred.GetMerchantCopyAsync(created.Id));
        Assert.Equal(2, await PendingEntriesAsync(created.Id));
        var lag = await deferred.GetLagAsync();
        var shardLag = lag.Shards.Single(s => s.Shard == _shards.Map.RouteOrder(created.Id, ShardDimension.User).Name);
        Assert.True(shardLag.Pending >= 2);
        Assert.True(lag.Pending >= 2);

        var result = await new OutboxRelay(deferred).DrainAsync();

        Assert.True(result.Applied >= 2);
        Assert.Equal(0, await PendingEntriesAsync(created.Id));
        Assert.Equal(OrderFactory.Describe(updated), OrderFactory.Describe(await deferred.GetMerchantCopyAsync(created.Id)));
    }

    [Fact]
    public async Task ConcurrentUpdatesOfTheSameOrdersFromSeveralWritersEndWithBothDimensionsEqual()
    {
        var factory = new OrderFactory(workerId: 17);
        var orders = new List<OrderRecord>();
        for (var i = 0; i < 8; i++)
        {
            orders.Add(await _store.CreateAsync(factory.New(UserBase + 40 + i, MerchantBase + 40 + (i % 3))));
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(100 + w);
            for (var i = 0; i < 25; i++)
            {
                var target = orders[random.Next(orders.Count)];
                Assert.NotNull(await _store.UpdateAsync(OrderFactory.Changed(target, $"w{w}-{i}", 1 + random.Next(4))));
            }
        })));

        // Immediate applies that lost a deadlock are left to the relay.
        await new OutboxRelay(_store).DrainAsync();
        // 8 creates at version 1 and 100 updates that each raised one version: no update was lost.
        Assert.Equal(8 + 100, (await Task.WhenAll(orders.Select(o => _store.GetAsync(o.Id)))).Sum(o => o!.Version));
        foreach (var order in orders)
        {
            var user = await _store.GetAsync(order.Id);
            Assert.Equal(OrderFactory.Describe(user), OrderFactory.Describe(await _store.GetMerchantCopyAsync(order.Id)));
            Assert.Equal(0, await PendingEntriesAsync(order.Id));
        }
    }

    [Fact]
    public async Task TheRelayRunningAsAHostedServiceAppliesCopiesUntilItIsStopped()
    {
        var factory = new OrderFactory(workerId: 18);
        using var deferred = new TwoDimensionOrderStore(_shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        var relay = new OutboxRelay(deferred, new OutboxRelayOptions { PollInterval = TimeSpan.FromMilliseconds(50) });
        await relay.StartAsync(CancellationToken.None);
        try
        {
            var created = await deferred.CreateAsync(factory.New(UserBase + 50, MerchantBase + 50));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await deferred.GetMerchantCopyAsync(created.Id) is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "the hosted relay did not apply the copy within 30 s");
                await Task.Delay(50);
            }

            Assert.Equal(OrderFactory.Describe(created), OrderFactory.Describe(await deferred.GetMerchantCopyAsync(created.Id)));
        }
        finally
        {
            await relay.StopAsync(CancellationToken.None);
        }

        var afterStop = await deferred.CreateAsync(factory.New(UserBase + 51, MerchantBase + 51));
        await Task.Delay(300);
        Assert.Null(await deferred.GetMerchantCopyAsync(afterStop.Id));
        Assert.Equal(1, await PendingEntriesAsync(afterStop.Id));
        relay.Dispose();
    }

    private async Task<long> PendingEntriesAsync(OrderId orderId)
    {
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ReadPreference.Primary);
        return await shard.Connection.ExecuteScalarAsync<long>(
            shard.Sql("SELECT COUNT(*) FROM {schema}.shardkit_outbox WHERE order_id = @OrderId AND applied_at IS NULL"), new { OrderId = orderId.Value });
    }

    /// <summary>The version of the order's merchant row and of its merchant tombstone (null where there is none).</summary>
    private async Task<(long? Row, long? Tombstone)> MerchantRowAsync(OrderId orderId)
    {
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ReadPreference.Primary);
        return await shard.Connection.QuerySingleAsync<(long?, long?)>(
            shard.Sql("SELECT (SELECT version FROM {orders} WHERE order_id = @OrderId), (SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId)"),
            new { OrderId = orderId.Value });
    }

    /// <summary>Writes <paramref name="order"/> (its version as it is, its status replaced) into its merchant shard as a copy.</summary>
    private async Task WriteMerchantCopyAsync(OrderRecord order, string status)
    {
        var copy = new OrderRecord
        {
            Id = order.Id, UserId = order.UserId, MerchantId = order.MerchantId, Status = status, TotalAmount = order.TotalAmount, Currency = order.Currency,
            Ext = order.Ext, Items = order.Items, CreatedAt = order.CreatedAt, UpdatedAt = order.UpdatedAt, Version = order.Version,
        };
        await using var merchant = await _shards.OpenOrderShardAsync(order.Id, ShardDimension.Merchant, ShardIntent.Write);
        UserSideState[] states = [new UserSideState(copy, deleted: false)];
        await MerchantCopyWriter.WriteAsync(merchant, await MerchantCopyPlan.GetAsync(_shards, merchant, states, default), states, default);
    }
}
