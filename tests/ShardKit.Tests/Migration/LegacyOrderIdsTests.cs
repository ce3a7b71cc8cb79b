using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Migration;

/// <summary>The IDs of legacy orders, derived from the legacy key: ordinary, routable order IDs that give the key back.</summary>
public sealed class LegacyOrderIdsTests
{
    private static readonly ShardMap s_map = ShardMap.Create(TestTopologies.DevUp());

    [Theory]
    [InlineData(1L, 7L, 3L)]
    [InlineData(8L, 1L, 1L)]
    [InlineData(123_456_789L, 42L, 9_000_000_000L)]
    [InlineData(40_000_000_000L, long.MaxValue, 1L)]
    public void ADerivedIdRoutesByItsUserAndMerchantParsesAsAnOrderIdAndGivesItsKeyBack(long key, long user, long merchant)
    {
        var id = LegacyOrderIds.Derive(s_map, key, user, merchant);

        Assert.Equal(LegacyOrderIds.Worker, id.WorkerId);
        Assert.Equal(s_map.RouteUser(user).Shard, id.UserShard);
        Assert.Equal(s_map.RouteMerchant(merchant).Shard, id.MerchantShard);
        Assert.Equal(key, LegacyOrderIds.KeyOf(id));
        Assert.Equal(id, OrderId.Parse(id.Value, s_map.GetShardCount(ShardDimension.User)));
    }

    [Fact]
    public void DistinctKeysGiveDistinctIdsAndAGeneratedIdIsNotTakenForADerivedOne()
    {
        var ids = Enumerable.Range(1, 10_000).Select(k => LegacyOrderIds.Derive(s_map, k, 5, 6).Value).ToHashSet();
        Assert.Equal(10_000, ids.Count);

        var generated = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 }).Next(5, 6);
        Assert.Null(LegacyOrderIds.KeyOf(generated));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    [InlineData(long.MaxValue)]
    public void AKeyThatCannotBeAnOrderIdIsRefusedNamingIt(long key)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => LegacyOrderIds.Derive(s_map, key, 1, 1));
        Assert.Contains($"Legacy order key {key} cannot be given a ShardKit order ID", refused.Message, StringComparison.Ordinal);
    }
}
