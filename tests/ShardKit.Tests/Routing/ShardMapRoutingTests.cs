using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Routing;

public sealed class ShardMapRoutingTests
{
    private readonly ShardMap _map = ShardMap.Create(TestTopologies.DevUp());

    [Theory]
    [InlineData(1L)]
    [InlineData(42L)]
    [InlineData(long.MaxValue)]
    public void RoutesAUserIdToTheShardOfTheUserShardFunction(long userId)
    {
        var route = _map.RouteUser(userId);

        var shard = ShardFunctions.UserShard(userId, 120);
        Assert.Equal(ShardDimension.User, route.Dimension);
        Assert.Equal(shard, route.Shard);
        Assert.Equal($"sk_user_{shard:000}", route.Schema);
        Assert.Equal(shard < 60 ? "c0" : "c1", route.Cluster.Name);
        Assert.Equal($"user:{shard}", route.Name);
    }

    [Fact]
    public void RoutesAMerchantIdToTheShardOfTheMerchantShardFunction()
    {
        var route = _map.RouteMerchant(987654321);

        Assert.Equal(ShardDimension.Merchant, route.Dimension);
        Assert.Equal(ShardFunctions.MerchantShard(987654321, 120), route.Shard);
        Assert.StartsWith("sk_merchant_", route.Schema, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutesOrderIdToTheUserShardEncodedInItAndItsMerchantShard()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 });
        for (long i = 1; i <= 500; i++)
        {
            var userId = i * 7919;
            var merchantId = i * 104729;
            var orderId = generator.Next(userId, merchantId);

            Assert.Equal(_map.RouteUser(userId), _map.RouteOrder(orderId, ShardDimension.User));
            Assert.Equal(_map.RouteMerchant(merchantId), _map.RouteOrder(orderId, ShardDimension.Merchant));
        }
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void RefusesNonPositiveUserAndMerchantIds(long id)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _map.RouteUser(id));
        Assert.Throws<ArgumentOutOfRangeException>(() => _map.RouteMerchant(id));
    }

    [Fact]
    public void RefusesTheDefaultOrderId()
    {
        var ex = Assert.Throws<ShardKitException>(() => _map.RouteOrder(default, ShardDimension.User));

        Assert.Equal(ShardKitErrorCode.InvalidOrderId, ex.ErrorCode);
    }

    [Fact]
    public void RefusesAnOrderIdWhoseGeneIsBeyondTheMapsShardCount()
    {
        var options = TestTopologies.DevUp();
        options.Dimensions.Merchant.ShardCount = 4;
        var smallMap = ShardMap.Create(options);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 });
        var merchantId = Enumerable.Range(1, 10_000).First(m => ShardFunctions.MerchantShard(m, 120) >= 4);
        var orderId = generator.Next(1, merchantId);

        var ex = Assert.Throws<ShardKitException>(() => smallMap.RouteOrder(orderId, ShardDimension.Merchant));

        Assert.Equal(ShardKitErrorCode.InvalidOrderId, ex.ErrorCode);
        Assert.Contains($"merchant shard {orderId.MerchantShard}, but the map has 4 merchant shards", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetRouteRefusesAShardOutsideTheDimension()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _map.GetRoute(ShardDimension.User, 120));

        Assert.Contains("shards 0 to 119", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoutingAllocatesNothing()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 2 });
        var orderId = generator.Next(5, 6);
        _map.RouteUser(1);
        _map.RouteOrder(orderId, ShardDimension.Merchant);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0;
        for (long id = 1; id <= 10_000; id++)
        {
            sum += _map.RouteUser(id).Shard + _map.RouteMerchant(id).Shard + _map.RouteOrder(orderId, ShardDimension.User).Shard;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }

    [Fact]
    public void ADefaultRouteSaysItIsNotARoute()
    {
        var route = default(ShardRoute);

        Assert.Equal("(no route)", route.ToString());
        Assert.Throws<InvalidOperationException>(() => route.Shard);
    }
}
