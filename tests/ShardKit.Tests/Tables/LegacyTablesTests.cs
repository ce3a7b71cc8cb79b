using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Tables;

/// <summary>The <c>ShardKit:LegacyTables</c> section: how a monolith's tables map onto the declared ones, checked when the file is read.</summary>
public sealed class LegacyTablesTests
{
    private static ShardTablesOptions TeamTables() => new()
    {
        Root = new TableOptions { Name = "trade_orders", OrderIdColumn = "id", UserIdColumn = "buyer_id", MerchantIdColumn = "shop_id", VersionColumn = "row_version" },
        Children =
        [
            new TableOptions { Name = "order_payments", MerchantCopy = MerchantCopy.Columns, MerchantColumns = ["amount"] },
            new TableOptions { Name = "order_audit", MerchantCopy = MerchantCopy.None },
        ],
    };

    [Fact]
    public void WithoutASectionEveryTableIsReadFromTheLegacyTableOfTheSameNameKeyedByItsOrderIdColumn()
    {
        var options = TestTopologies.DevUp();
        options.Tables = TeamTables();

        var legacy = ShardMap.Create(options).LegacyTables;

        Assert.True(legacy.IsSameNames);
        Assert.Equal(["trade_orders", "order_payments", "order_audit"], legacy.Tables.Select(t => t.Name));
        Assert.Equal(["id", "order_id", "order_id"], legacy.Tables.Select(t => t.KeyColumn));
        Assert.Equal("buyer_id", legacy.Root.ColumnOf("buyer_id"));
    }

    [Fact]
    public void ASectionRenamesTablesKeysAndColumnsAndLeavesTheRestAsDeclared()
    {
        var options = TestTopologies.DevUp();
        options.Tables = TeamTables();
        options.LegacyTables = new LegacyTablesOptions
        {
            Root = new LegacyTableOptions { Name = "t_order", KeyColumn = "order_no", Columns = { ["buyer_id"] = "buyer" } },
            Children = [new LegacyTableOptions { Table = "ORDER_PAYMENTS", Name = "t_payment", KeyColumn = "order_ref", Columns = { ["method"] = "pay_method" } }],
        };

        var legacy = ShardMap.Create(options).LegacyTables;

        Assert.False(legacy.IsSameNames);
        Assert.Equal(["t_order", "t_payment", "order_audit"], legacy.Tables.Select(t => t.Name));
        Assert.Equal(["order_no", "order_ref", "order_id"], legacy.Tables.Select(t => t.KeyColumn));
        Assert.Equal(["trade_orders", "order_payments", "order_audit"], legacy.Tables.Select(t => t.Table.Name));
        Assert.Equal(("buyer", "shop_id"), (legacy.Root.ColumnOf("BUYER_ID"), legacy.Root.ColumnOf("shop_id")));
        Assert.Equal("pay_method", legacy.Tables[1].ColumnOf("method"));
    }

    [Fact]
    public void EveryProblemOfTheSectionIsReportedNamingItsEntryAndNoMapIsBuilt()
    {
        var options = TestTopologies.DevUp();
        options.Tables = TeamTables();
        options.LegacyTables = new LegacyTablesOptions
        {
            Root = new LegacyTableOptions { Table = "order_payments", Name = "t order", Columns = { ["id"] = "order_no", ["buyer_id"] = "shardkit_bucket" } },
            Children =
            [
                new LegacyTableOptions { Table = "order_refunds" },
                new LegacyTableOptions { Table = "order_audit", Name = "t_log" },
                new LegacyTableOptions { Table = "order_audit", Name = "t_log2" },
                new LegacyTableOptions { Table = "" },
                new LegacyTableOptions { Table = "order_payments", Name = "shardkit_payments", KeyColumn = "ref", Columns = { ["amount"] = "ref" } },
            ],
        };

        var errors = ShardMap.Validate(options);

        Assert.Contains("LegacyTables:Root:Table 'order_payments' is not the root table; the root entry fills trade_orders", errors);
        Assert.Contains("LegacyTables:Root:Name 't order' is not a plain identifier (letters, digits, _ and $; at most 64 characters)", errors);
        Assert.Contains(errors, e => e.StartsWith("LegacyTables:Root:Columns maps id, the order-ID column; it holds the ShardKit order ID", StringComparison.Ordinal));
        Assert.Contains("LegacyTables:Root:Columns:buyer_id 'shardkit_bucket' is one of the columns the import adds", errors);
        Assert.Contains("LegacyTables:Children:0:Table 'order_refunds' is not a declared child table on user shards (declared: order_payments, order_audit)", errors);
        Assert.Contains("LegacyTables:Children:2:Table 'order_audit' is mapped twice", errors);
        Assert.Contains("LegacyTables:Children:3:Table is empty; name the declared child table this legacy table fills", errors);
        Assert.Contains("LegacyTables:Children:4:Name 'shardkit_payments' is reserved for ShardKit's own tables", errors);
        Assert.Contains("LegacyTables:Children:4:Columns:amount is the key column ref; the legacy key is not copied as a column", errors);
        var thrown = Assert.Throws<ShardKitException>(() => ShardMap.Create(options));
        Assert.Equal(ShardKitErrorCode.InvalidTopology, thrown.ErrorCode);
    }
}
