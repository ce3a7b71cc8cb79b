using System.Globalization;
using Dapper;
using Microsoft.Extensions.Configuration;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Routing;

/// <summary>Routed reads and writes against two real clusters: rows land in the physical schema the map names.</summary>
[Collection("Topology")]
public sealed class RoutedAccessTests(TopologyFixture fixture) : IAsyncLifetime
{
    private static long s_nextKey = DateTime.UtcNow.Ticks % 1_000_000_000;
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 201 });
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync()
    {
        // MySqlConnector, one pool per endpoint.
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        var result = await new SchemaApplier(_shards).ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });
        Assert.True(result.Succeeded, string.Join("; ", result.Shards.Where(s => s.Error is not null)));
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task AnOrderWrittenByUserIdIsReadBackByOrderIdFromTheRightPhysicalSchema()
    {
        var (userId, merchantId) = NextKeys();
        var orderId = _ids.Next(userId, merchantId);

        await using (var shard = await _shards.OpenUserShardAsync(userId, ShardIntent.Write))
        {
            await using var tx = await shard.BeginTransactionAsync();
            await InsertOrderAsync(shard, orderId, userId, merchantId, tx);
            await tx.CommitAsync();
        }

        await using (var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ReadPreference.Primary))
        {
            var row = await shard.Connection.QuerySingleAsync<(long UserId, string Status, decimal Total, long Items)>(
                shard.Sql("SELECT o.user_id, o.status, o.total_amount, (SELECT COUNT(*) FROM {order_items} i WHERE i.order_id = o.order_id) FROM {orders} o WHERE o.order_id = @Id"),
                new { Id = orderId.Value });
            Assert.Equal((userId, "created", 25.50m, 2L), row);
        }

        var route = _shards.Map.RouteUser(userId);
        Assert.Equal("1", await PrimaryOf(route).QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.orders WHERE order_id = {orderId.Value}"));
        // The other cluster does not even have this shard's schema.
        Assert.Equal("0", await OtherPrimary(route).QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{route.Schema}'"));
    }

    [Fact]
    public async Task TheMerchantCopyIsReachedByMerchantIdAndByTheOrderIdsMerchantGene()
    {
        var (userId, merchantId) = NextKeys();
        var orderId = _ids.Next(userId, merchantId);

        await using (var shard = await _shards.OpenMerchantShardAsync(merchantId, ShardIntent.Write))
        {
            await InsertOrderAsync(shard, orderId, userId, merchantId, transaction: null);
        }

        await using (var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ReadPreference.Primary))
        {
            Assert.Equal(merchantId, await shard.Connection.ExecuteScalarAsync<long>(
                shard.Sql("SELECT merchant_id FROM {orders} WHERE order_id = @Id"), new { Id = orderId.Value }));
        }

        var route = _shards.Map.RouteMerchant(merchantId);
        Assert.StartsWith("sk_merchant_", route.Schema, StringComparison.Ordinal);
        Assert.Equal("1", await PrimaryOf(route).QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.orders WHERE order_id = {orderId.Value}"));
        var userRoute = _shards.Map.RouteUser(userId);
        Assert.Equal("0", await PrimaryOf(userRoute).QueryScalarAsync($"SELECT COUNT(*) FROM `{userRoute.Schema}`.orders WHERE order_id = {orderId.Value}"));
    }

    [Fact]
    public async Task ACrossShardTransactionIsRefusedAndNothingIsWritten()
    {
        var (userId, merchantId) = NextKeys();
        var otherUser = Enumerable.Range(1, 1000).Select(i => userId + i).First(u => _shards.Map.RouteUser(u).Shard != _shards.Map.RouteUser(userId).Shard);
        var orderId = _ids.Next(userId, merchantId);

        await using (var shard = await _shards.OpenUserShardAsync(userId, ShardIntent.Write))
        {
            await using var tx = await shard.BeginTransactionAsync();
            await InsertOrderAsync(shard, orderId, userId, merchantId, tx);

            var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await _shards.OpenUserShardAsync(otherUser, ShardIntent.Write));
            Assert.Equal(ShardKitErrorCode.CrossShardTransaction, ex.ErrorCode);
        }

        var route = _shards.Map.RouteUser(userId);
        Assert.Equal("0", await PrimaryOf(route).QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.orders WHERE order_id = {orderId.Value}"));
    }

    [Fact]
    public async Task AllShardsOnOneClusterShareOneServerConnectionPool()
    {
        var route = _shards.Map.GetRoute(ShardDimension.User, 0);
        var before = await ConnectionsFromApplication(PrimaryOf(route));

        for (var shard = 0; shard < _shards.Map.GetShardCount(ShardDimension.User); shard++)
        {
            var r = _shards.Map.GetRoute(ShardDimension.User, shard);
            if (r.Cluster.Name != route.Cluster.Name)
            {
                continue;
            }

            await using var connection = await _shards.OpenAsync(r, ReadPreference.Primary);
            await connection.Connection.ExecuteScalarAsync<long>(connection.Sql("SELECT COUNT(*) FROM {orders}"));
        }

        // Opened and returned one after the other: the pool hands the same connection back every time.
        Assert.InRange(await ConnectionsFromApplication(PrimaryOf(route)), 0, before + 1);
    }

    [Fact]
    public async Task AWrongPasswordIsAClearErrorNotAStackOfProtocolDetail()
    {
        var cluster = fixture.Topology.Clusters[0];
        var wrong = $"Server=127.0.0.1;Port={cluster.Primary.Port};User ID={fixture.Topology.User};Password=not-the-password";
        await using var shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor(("ShardKit:Clusters:0:Primary", wrong)).GetSection("ShardKit")).Build();

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.User, 0), ShardIntent.Write));

        Assert.Equal(ShardKitErrorCode.AccessDenied, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("user:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("password", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", ex.Message, StringComparison.Ordinal);
    }

    private static (long UserId, long MerchantId) NextKeys()
    {
        var key = Interlocked.Increment(ref s_nextKey);
        return (key, key + 500_000_000);
    }

    private static async Task InsertOrderAsync(ShardConnection shard, OrderId orderId, long userId, long merchantId, ShardTransaction? transaction)
    {
        var now = DateTime.UtcNow;
        await shard.Connection.ExecuteAsync(
            shard.Sql("""
                INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at)
                VALUES (@OrderId, @UserId, @MerchantId, 'created', 25.50, 'EUR', @Now, @Now)
                """),
            new { OrderId = orderId.Value, UserId = userId, MerchantId = merchantId, Now = now },
            transaction?.DbTransaction);
        await shard.Connection.ExecuteAsync(
            shard.Sql("INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES (@OrderId, 1, 'sku-1', 1, 20.50), (@OrderId, 2, 'sku-2', 1, 5.00)"),
            new { OrderId = orderId.Value },
            transaction?.DbTransaction);
    }

    private MariaDbServer PrimaryOf(ShardRoute route) => fixture.Topology.Clusters.Single(c => c.Primary.Port == route.Endpoint.Port).Primary;

    private MariaDbServer OtherPrimary(ShardRoute route) => fixture.Topology.Clusters.Single(c => c.Primary.Port != route.Endpoint.Port).Primary;

    private async Task<int> ConnectionsFromApplication(MariaDbServer server) =>
        int.Parse(
            await server.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{fixture.Topology.User}'") ?? "0",
            CultureInfo.InvariantCulture);
}
