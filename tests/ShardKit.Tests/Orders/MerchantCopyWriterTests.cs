using System.Text.RegularExpressions;
using ShardKit.Orders;
using ShardKit.Schema;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Orders;

public sealed class MerchantCopyWriterTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private static MerchantCopyPlan BuiltInPlan { get; } = new(
        TableModel.BuiltIn,
        [new TableShape("orders", OrderSchema.OrdersColumns, ["order_id"], fromServer: false), new TableShape("order_items", OrderSchema.ItemsColumns, ["order_id", "line_no"], fromServer: false)]);

    private static OrderRecord Order(long orderId, long version, int items) => new()
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
    };

    private static UserSideState Live(long orderId, long version, int items) => new(Order(orderId, version, items), deleted: false);

    private static UserSideState Deleted(long orderId, long version) => new(Order(orderId, version, 0), deleted: true);

    private static List<string> Statements(string sql) => sql.Split(";\n").Select(s => s.Trim()).ToList();

    /// <summary>The assignments of an upsert's <c>ON DUPLICATE KEY UPDATE</c>, each without its leading back-quote.</summary>
    private static List<string> Assignments(string statement) =>
        Regex.Split(statement[(statement.IndexOf("ON DUPLICATE KEY UPDATE", StringComparison.Ordinal) + "ON DUPLICATE KEY UPDATE".Length)..].Trim(), @", (?=`\w+` = IF)")
            .Select(a => a.TrimStart('`'))
            .ToList();

    private async Task<(ShardKitDataSource Shards, ShardConnection Shard)> OpenAsync()
    {
        var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
        return (shards, await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.Merchant, 0), ShardIntent.Write));
    }

    [Fact]
    public async Task OneOrderIsOneTextTransactionSentAsOneCommand()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var (sql, _) = MerchantCopyWriter.Build(shard, BuiltInPlan, [Live(100, 3, items: 2)]);
        var statements = Statements(sql);

        Assert.Equal(6, statements.Count);
        Assert.Equal("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", statements[0]);
        Assert.Equal("START TRANSACTION", statements[1]);
        Assert.Contains("ON DUPLICATE KEY UPDATE", statements[2], StringComparison.Ordinal);
        Assert.StartsWith("DELETE FROM", statements[3], StringComparison.Ordinal);
        Assert.Contains("o.`order_id` = @O0 AND o.`version` = @V0", statements[3], StringComparison.Ordinal);
        Assert.StartsWith("INSERT INTO", statements[4], StringComparison.Ordinal);
        Assert.EndsWith("JOIN " + shard.Sql("{orders}") + " o ON o.`order_id` = v.k AND o.`version` = v.kv", statements[4], StringComparison.Ordinal);
        Assert.Single(Regex.Matches(statements[4], "UNION ALL"));
        Assert.Equal("COMMIT", statements[5]);
    }

    [Fact]
    public async Task ACreatesCopyIsPlainInsertsUndoneIfTheOrderHasAMerchantTombstone()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var statements = Statements(MerchantCopyWriter.BuildFirstVersion(shard, BuiltInPlan, Live(100, 1, items: 2)).Sql);

        Assert.Equal(7, statements.Count);
        Assert.StartsWith("INSERT INTO " + shard.Sql("{orders}") + " (", statements[2], StringComparison.Ordinal);
        Assert.DoesNotContain("ON DUPLICATE KEY", statements[2], StringComparison.Ordinal);
        Assert.StartsWith("INSERT INTO " + shard.Sql("{order_items}") + " (", statements[3], StringComparison.Ordinal);
        Assert.Single(Regex.Matches(statements[3], @"\), \("));
        var tombstoned = " AND EXISTS (SELECT 1 FROM " + shard.Sql("{schema}.`shardkit_tombstones`") + " t WHERE t.order_id = @O0 LOCK IN SHARE MODE)";
        Assert.Equal("DELETE FROM " + shard.Sql("{order_items}") + " WHERE `order_id` = @O0" + tombstoned, statements[4]);
        Assert.Equal("DELETE FROM " + shard.Sql("{orders}") + " WHERE `order_id` = @O0" + tombstoned, statements[5]);
        Assert.Equal("COMMIT", statements[6]);
    }

    [Fact]
    public async Task TheUpsertSkipsTombstonedOrdersUnderASharedLock()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var upsert = Statements(MerchantCopyWriter.Build(shard, BuiltInPlan, [Live(100, 3, items: 0)]).Sql)[2];

        Assert.Contains("WHERE NOT EXISTS (SELECT 1 FROM " + shard.Sql("{schema}.`shardkit_tombstones`") + " t WHERE t.order_id = v.c0 LOCK IN SHARE MODE)", upsert, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheGuardAssignsVersionLastAndOverwritesEveryColumnOnlyWithAStrictlyNewerVersion()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var assignments = Assignments(Statements(MerchantCopyWriter.Build(shard, BuiltInPlan, [Live(100, 3, items: 0)]).Sql)[2]);

        // Every column but the order ID, each guarded; the version last, so every guard above it compares with the old version.
        Assert.Equal(BuiltInRows.OrderColumns.Length - 1, assignments.Count);
        Assert.StartsWith("version` = ", assignments[^1], StringComparison.Ordinal);
        foreach (var assignment in assignments)
        {
            var match = Regex.Match(assignment, @"^(\w+)` = IF\(VALUES\(`version`\) > `version`, VALUES\(`(\w+)`\), `(\w+)`\)$");
            Assert.True(match.Success, assignment);
            Assert.Equal(match.Groups[1].Value, match.Groups[2].Value);
            Assert.Equal(match.Groups[1].Value, match.Groups[3].Value);
        }
    }

    [Fact]
    public async Task ManyOrdersShareEachStatementInOrderIdOrderAndTombstonesGetNoChildRows()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var (sql, parameters) = MerchantCopyWriter.Build(shard, BuiltInPlan, [Live(300, 1, items: 1), Deleted(200, 5), Live(100, 2, items: 2)]);
        var statements = Statements(sql);

        // Tombstone upsert, the deleted order's rows out of both tables, the root upsert, the child delete and insert.
        Assert.Equal(9, statements.Count);
        Assert.Contains("shardkit_tombstones", statements[2], StringComparison.Ordinal);
        Assert.Equal(200L, parameters.Get<long>("Del0"));
        Assert.Equal([100L, 300L], new[] { "O0", "O1" }.Select(parameters.Get<long>));
        Assert.Contains("(o.`order_id`, o.`version`) IN ((@O0, @V0), (@O1, @V1))", statements[6], StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(statements[7], "UNION ALL"));
    }

    [Fact]
    public async Task OnlyTombstonesWriteNoRows()
    {
        var (shards, shard) = await OpenAsync();
        await using var _ = shards;
        await using var __ = shard;

        var statements = Statements(MerchantCopyWriter.Build(shard, BuiltInPlan, [Deleted(200, 5)]).Sql);

        Assert.Equal(6, statements.Count);
        Assert.DoesNotContain(statements, s => s.StartsWith("INSERT INTO " + shard.Sql("{orders}"), StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.StartsWith("INSERT INTO " + shard.Sql("{order_items}"), StringComparison.Ordinal));
    }
}
