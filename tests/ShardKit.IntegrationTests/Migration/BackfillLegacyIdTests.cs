using System.Collections.Concurrent;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The backfill's batch links of legacy IDs racing the application's lookups, which link the same IDs one by one: every
/// legacy order has one ShardKit ID everywhere (derived from its legacy key, <see cref="LegacyOrderIds"/>), and nothing is
/// written to the legacy rows to give it one.
/// </summary>
public sealed class BackfillLegacyIdTests
{
    [Fact]
    public async Task ALegacyIdLookedUpWhileTheBackfillClaimsItMapsToOneOrderIdEverywhere()
    {
        const int legacyOrders = 600;
        await using var topology = await MigrationTopology.StartAsync(legacyOrders);
        using var migrator = topology.NewMigrator(chunkSize: 50);
        await migrator.PlanAsync(CancellationToken.None);
        await using var store = topology.NewStore(workerId: 5);
        await migrator.StartAsync(CancellationToken.None);

        var seen = new ConcurrentDictionary<long, ConcurrentBag<OrderId>>();
        using var stop = new CancellationTokenSource();
        var lookups = Enumerable.Range(0, 3).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (!stop.IsCancellationRequested)
            {
                var legacyId = random.Next(1, legacyOrders + 1);
                var order = await store.FindByLegacyIdAsync(legacyId);
                Assert.NotNull(order);
                seen.GetOrAdd(legacyId, _ => []).Add(order.Id);
            }
        })).ToList();
        await Task.Delay(200);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await stop.CancelAsync();
        await Task.WhenAll(lookups);

        List<(long LegacyId, long UserId, long MerchantId, long? Recorded)> rows;
        var legacy = await topology.Shards.OpenLegacyAsync(CancellationToken.None);
        await using (legacy)
        {
            rows = (await legacy.QueryAsync<(long, long, long, long?)>("SELECT order_id, user_id, merchant_id, shardkit_order_id FROM `legacy`.`orders` ORDER BY order_id")).ToList();
        }

        Assert.Equal(legacyOrders, rows.Count);
        Assert.True(seen.Count > 50, $"only {seen.Count} legacy IDs were looked up during the backfill");
        using var keys = new AlternateKeyStore(topology.Shards);
        var ids = new List<OrderId>();
        foreach (var (legacyId, userId, merchantId, recorded) in rows)
        {
            // Nothing was recorded on the legacy row: its ID is derived from its key, user and merchant, and routes by them.
            Assert.Null(recorded);
            var orderId = LegacyOrderIds.Derive(topology.Shards.Map, legacyId, userId, merchantId);
            Assert.Equal(legacyId, LegacyOrderIds.KeyOf(orderId));
            Assert.Equal((topology.Shards.Map.RouteUser(userId).Shard, topology.Shards.Map.RouteMerchant(merchantId).Shard), (orderId.UserShard, orderId.MerchantShard));
            Assert.Equal(orderId, (await keys.LookupAsync(AlternateKeyLegacyIdMap.Key(legacyId)))!.Mapping.Target.OrderId);
            Assert.All(seen.GetValueOrDefault(legacyId) ?? [], looked => Assert.Equal(orderId, looked));
            Assert.NotNull(await topology.ReadTargetAsync(orderId));
            ids.Add(orderId);
        }

        Assert.Equal(legacyOrders, ids.Distinct().Count());
    }
}
