using System.Collections.Concurrent;
using Dapper;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Orders;

/// <summary>Fault and reconciliation tests on a topology of their own (see <see cref="SplitTopologyFixture"/>).</summary>
public sealed class DimensionFaultTests(SplitTopologyFixture fixture) : IClassFixture<SplitTopologyFixture>, IAsyncLifetime
{
    private static readonly OutboxRelayOptions s_fastRetries = new() { RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(100) };
    private ShardKitDataSource _shards = null!;

    public Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.Section).Build();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task RandomWritersKeepWritingWhileTheMerchantClusterIsDownAndNothingIsLostAfterTheRelayDrains()
    {
        using var store = new TwoDimensionOrderStore(_shards);
        var factory = new OrderFactory(workerId: 21, SplitTopologyFixture.ShardCount);
        var expected = new ConcurrentDictionary<OrderId, OrderRecord?>();
        var failures = new ConcurrentQueue<Exception>();
        var operations = 0;
        const int writers = 4;
        const int operationsPerWriter = 50;

        var faults = Task.Run(async () =>
        {
            while (Volatile.Read(ref operations) < 50)
            {
                await Task.Delay(5);
            }

            await fixture.MerchantPrimary.KillAsync();
            while (Volatile.Read(ref operations) < 130)
            {
                await Task.Delay(5);
            }

            await fixture.MerchantPrimary.StartAsync();
        });

        try
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var random = new Random(w);
                var live = new List<OrderRecord>();
                for (var i = 0; i < operationsPerWriter; i++)
                {
                    try
                    {
                        var roll = random.NextDouble();
                        if (live.Count < 3 || roll < 0.4)
                        {
                            var created = await store.CreateAsync(factory.New(81_000_000 + (w * 1000) + i, 82_000_000 + random.Next(20), items: 1 + random.Next(3)));
                            live.Add(created);
                            expected[created.Id] = created;
                        }
                        else if (roll < 0.85)
                        {
                            var target = live[random.Next(live.Count)];
                            var updated = await store.UpdateAsync(OrderFactory.Changed(target, $"s{i}", 1 + random.Next(4)));
                            live[live.IndexOf(target)] = updated!;
                            expected[target.Id] = updated;
                        }
                        else
                        {
                            var target = live[random.Next(live.Count)];
                            Assert.True(await store.DeleteAsync(target.Id));
                            live.Remove(target);
                            expected[target.Id] = null;
                        }
                    }
                    catch (Exception ex)
                    {
                        failures.Enqueue(ex);
                    }

                    Interlocked.Increment(ref operations);
                    await Task.Delay(random.Next(3));
                }
            })));
            await faults;
        }
        finally
        {
            await fixture.MerchantPrimary.StartAsync();
        }

        Assert.Empty(failures);
        Assert.True((await store.GetLagAsync()).Pending > 0, "the outage should have left entries for the relay");

        await DrainUntilEmptyAsync(store, new OutboxRelay(store, s_fastRetries));

        var result = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.True(result.Equal, $"{result.Remaining} differences: {string.Join(", ", result.Differences.Select(d => $"{d.OrderId} {d.Kind}"))}");
        foreach (var (orderId, order) in expected)
        {
            Assert.Equal(OrderFactory.Describe(order), OrderFactory.Describe(await store.GetAsync(orderId)));
            Assert.Equal(OrderFactory.Describe(order), OrderFactory.Describe(await store.GetMerchantCopyAsync(orderId)));
        }
    }

    [Fact]
    public async Task ARelayStoppedBetweenTheMerchantWriteAndTheMarkThenRestartedEndsInTheSameState()
    {
        using var store = new TwoDimensionOrderStore(_shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        var factory = new OrderFactory(workerId: 22, SplitTopologyFixture.ShardCount);
        var expected = new Dictionary<OrderId, OrderRecord?>();
        for (var i = 0; i < 30; i++)
        {
            var created = await store.CreateAsync(factory.New(83_000_000 + i, 84_000_000 + (i % 5)));
            expected[created.Id] = i % 3 == 0 ? await store.UpdateAsync(OrderFactory.Changed(created, "paid", 2)) : created;
            if (i % 7 == 0)
            {
                await store.DeleteAsync(created.Id);
                expected[created.Id] = null;
            }
        }

        // The first relay is "killed" on its 7th apply: after the merchant write, before the outbox is marked.
        using var kill = new CancellationTokenSource();
        var applies = 0;
        store.Applier.AfterMerchantWrite = _ =>
        {
            if (Interlocked.Increment(ref applies) == 7)
            {
                kill.Cancel();
                kill.Token.ThrowIfCancellationRequested();
            }

            return Task.CompletedTask;
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new OutboxRelay(store, new OutboxRelayOptions { BatchSize = 5, Parallelism = 1 }).DrainAsync(kill.Token));
        Assert.True((await store.GetLagAsync()).Pending > 0);

        store.Applier.AfterMerchantWrite = null;
        await DrainUntilEmptyAsync(store, new OutboxRelay(store, s_fastRetries));

        foreach (var (orderId, order) in expected)
        {
            Assert.Equal(OrderFactory.Describe(order), OrderFactory.Describe(await store.GetAsync(orderId)));
            Assert.Equal(OrderFactory.Describe(order), OrderFactory.Describe(await store.GetMerchantCopyAsync(orderId)));
        }

        Assert.True((await new DimensionVerifier(_shards).VerifyAsync()).Equal);
    }

    [Fact]
    public async Task VerifyFindsCorruptedMissingAndExtraMerchantRowsAndRepairFixesThemFromTheUserSide()
    {
        using var store = new TwoDimensionOrderStore(_shards);
        var factory = new OrderFactory(workerId: 23, SplitTopologyFixture.ShardCount);
        var orders = new List<OrderRecord>();
        for (var i = 0; i < 6; i++)
        {
            orders.Add(await store.CreateAsync(factory.New(85_000_000 + i, 86_000_000 + i)));
        }

        await store.DeleteAsync(orders[5].Id);
        await MerchantExecuteAsync(orders[0].Id, "UPDATE {orders} SET status = 'corrupt' WHERE order_id = @OrderId");
        await MerchantExecuteAsync(orders[1].Id, "UPDATE {orders} SET version = 99 WHERE order_id = @OrderId");
        await MerchantExecuteAsync(orders[2].Id, "DELETE FROM {orders} WHERE order_id = @OrderId");
        await MerchantExecuteAsync(orders[3].Id, "UPDATE {order_items} SET quantity = 42 WHERE order_id = @OrderId");
        await MerchantExecuteAsync(orders[5].Id, "INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version) SELECT @OrderId, user_id, merchant_id, 'ghost', 1, 'EUR', created_at, deleted_at, 1 FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId");

        var found = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.False(found.Equal);
        var kinds = found.Differences.ToDictionary(d => d.OrderId, d => d.Kind);
        Assert.Equal(DimensionDifferenceKind.Different, kinds[orders[0].Id.Value]);
        Assert.Equal(DimensionDifferenceKind.Different, kinds[orders[1].Id.Value]);
        Assert.Equal(DimensionDifferenceKind.MissingOnMerchant, kinds[orders[2].Id.Value]);
        Assert.Equal(DimensionDifferenceKind.Different, kinds[orders[3].Id.Value]);
        Assert.Equal(DimensionDifferenceKind.ExtraOnMerchant, kinds[orders[5].Id.Value]);
        Assert.False(kinds.ContainsKey(orders[4].Id.Value));

        var (exit, output, _) = await RunAsync("verify", "dimensions", "--config", fixture.ConfigPath, "--json");
        Assert.Equal(1, exit);
        Assert.Contains("\"equal\": false", output, StringComparison.Ordinal);

        (exit, output, _) = await RunAsync("verify", "dimensions", "--config", fixture.ConfigPath, "--repair");
        Assert.Equal(0, exit);
        Assert.Contains("5 difference(s), 5 repaired, 0 remaining", output, StringComparison.Ordinal);

        (exit, _, _) = await RunAsync("verify", "dimensions", "--config", fixture.ConfigPath);
        Assert.Equal(0, exit);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(OrderFactory.Describe(orders[i]), OrderFactory.Describe(await store.GetMerchantCopyAsync(orders[i].Id)));
        }

        Assert.Null(await store.GetMerchantCopyAsync(orders[5].Id));
    }

    private async Task MerchantExecuteAsync(OrderId orderId, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ShardIntent.Write);
        Assert.True(await shard.Connection.ExecuteAsync(shard.Sql(sql), new { OrderId = orderId.Value }) > 0, sql);
    }

    private static async Task DrainUntilEmptyAsync(TwoDimensionOrderStore store, OutboxRelay relay)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await relay.DrainAsync();
            var lag = await store.GetLagAsync();
            if (lag.Pending == 0 && !lag.Incomplete)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the relay did not drain: {lag.Pending} entries pending");
            await Task.Delay(200);
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new System.CommandLine.RootCommand { VerifyCommand.Create() };
        var exitCode = await root.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
