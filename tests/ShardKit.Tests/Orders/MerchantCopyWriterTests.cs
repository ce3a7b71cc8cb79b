using System.Text.RegularExpressions;
using ShardKit.Orders;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Orders;

public sealed class MerchantCopyWriterTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private static UserSideState Live(long orderId, long version, int items) => new(
        new OrderRecord
        {
            Id = OrderId.FromValidatedValue(orderId),
            UserId = 1,
            MerchantId = 2,
            Status = "paid",
            TotalAmount = 1m,
            Currency = "EUR",
            CreatedAt = DateTimeOffset.UnixEpoch,
            UpdatedAt = DateTimeOffset.UnixEpoch,
            Version = version,
            Items = Enumerable.Range(1, items).Select(i => new OrderLine { LineNo = i, Sku = $"S{i}", Quantity = 1, UnitPrice = 1m }).ToList(),
        },
        Deleted: false);

    private static UserSideState Deleted(long orderId, long version) => Live(orderId, version, 0) with { Deleted = true };

    private static List<string> Statements(string sql) => sql.Split(";\n").Select(s => s.Trim()).ToList();

    [Fact]
    public async Task OneOrderIsOneTextTransactionOfFiveStatementsSentAsOneCommand()
    {
        await using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
        await using var shard = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.Merchant, 0), ShardIntent.Write);

        var (sql, _) = MerchantCopyWriter.Build(shard, [Live(100, 3, items: 2)]);
        var statements = Statements(sql);

        Assert.Equal(6, statements.Count);
        Assert.Equal("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", statements[0]);
        Assert.Equal("START TRANSACTION", statements[1]);
        Assert.Contains("ON DUPLICATE KEY UPDATE", statements[2], StringComparison.Ordinal);
        Assert.StartsWith("DELETE FROM", statements[3], StringComparison.Ordinal);
        Assert.Contains("o.order_id = @O0 AND o.version = @V0", statements[3], StringComparison.Ordinal);
        Assert.StartsWith("INSERT INTO", statements[4], StringComparison.Ordinal);
        Assert.EndsWith("JOIN " + shard.Sql("{orders}") + " o ON o.order_id = v.order_id AND o.version = v.version", statements[4], StringComparison.Ordinal);
        Assert.Single(Regex.Matches(statements[4], "UNION ALL"));
        Assert.Equal("COMMIT", statements[5]);
    }

    [Fact]
    public async Task ManyOrdersShareEachStatementInOrderIdOrderAndTombstonesGetNoItems()
    {
        await using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
        await using var shard = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.Merchant, 0), ShardIntent.Write);

        var (sql, parameters) = MerchantCopyWriter.Build(shard, [Live(300, 1, items: 1), Deleted(200, 5), Live(100, 2, items: 2)]);
        var statements = Statements(sql);

        Assert.Equal(6, statements.Count);
        Assert.Equal([100L, 200L, 300L], new[] { "O0", "O1", "O2" }.Select(parameters.Get<long>));
        Assert.Contains("(o.order_id, o.version) IN ((@O0, @V0), (@O1, @V1), (@O2, @V2))", statements[3], StringComparison.Ordinal);
        Assert.DoesNotContain("@O1", statements[4], StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(statements[4], "UNION ALL"));
    }

    [Fact]
    public async Task OnlyTombstonesWriteNoItemInsert()
    {
        await using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
        await using var shard = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.Merchant, 0), ShardIntent.Write);

        var statements = Statements(MerchantCopyWriter.Build(shard, [Deleted(200, 5)]).Sql);

        Assert.Equal(5, statements.Count);
        Assert.DoesNotContain(statements, s => s.StartsWith("INSERT INTO " + shard.Sql("{order_items}"), StringComparison.Ordinal));
    }
}
