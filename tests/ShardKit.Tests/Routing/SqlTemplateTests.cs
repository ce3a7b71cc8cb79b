using ShardKit.Routing;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Routing;

public sealed class SqlTemplateTests
{
    private readonly ShardMap _map = ShardMap.Create(TestTopologies.DevUp());

    [Fact]
    public void ExpandsTablePlaceholdersToBackQuotedSchemaQualifiedNames()
    {
        var slot = _map.GetRoute(ShardDimension.User, 17).Slot;

        var sql = slot.ExpandSql("SELECT * FROM {orders} o JOIN {order_items} i ON i.order_id = o.order_id; USE {schema}");

        Assert.Equal("SELECT * FROM `sk_user_017`.`orders` o JOIN `sk_user_017`.`order_items` i ON i.order_id = o.order_id; USE `sk_user_017`", sql);
    }

    [Fact]
    public void LeavesOtherBracesUntouched()
    {
        var slot = _map.GetRoute(ShardDimension.Merchant, 3).Slot;

        Assert.Equal(
            "SELECT JSON_EXTRACT(ext, '$.a') FROM `sk_merchant_003`.`orders` WHERE ext = '{\"x\":1}' AND n = '{order}'",
            slot.ExpandSql("SELECT JSON_EXTRACT(ext, '$.a') FROM {orders} WHERE ext = '{\"x\":1}' AND n = '{order}'"));
    }

    [Fact]
    public void ReturnsTheCachedExpansionForARepeatedTemplate()
    {
        var slot = _map.GetRoute(ShardDimension.User, 1).Slot;
        const string template = "SELECT status FROM {orders} WHERE order_id = @id";

        var first = slot.ExpandSql(template);
        var second = slot.ExpandSql(new string(template.AsSpan()));

        Assert.Same(first, second);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            slot.ExpandSql(template);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ExpandsTheSameTemplateDifferentlyPerShard()
    {
        const string template = "DELETE FROM {orders}";

        Assert.Equal("DELETE FROM `sk_user_001`.`orders`", _map.GetRoute(ShardDimension.User, 1).Slot.ExpandSql(template));
        Assert.Equal("DELETE FROM `sk_user_002`.`orders`", _map.GetRoute(ShardDimension.User, 2).Slot.ExpandSql(template));
        Assert.Equal("DELETE FROM `sk_merchant_001`.`orders`", _map.GetRoute(ShardDimension.Merchant, 1).Slot.ExpandSql(template));
    }

    [Fact]
    public void StopsCachingBeyondTheLimitButStillExpands()
    {
        var slot = _map.GetRoute(ShardDimension.User, 9).Slot;
        for (var i = 0; i < ShardSlot.MaxCachedTemplates + 10; i++)
        {
            Assert.Equal($"SELECT {i} FROM `sk_user_009`.`orders`", slot.ExpandSql($"SELECT {i} FROM {{orders}}"));
        }
    }
}
