using ShardKit.Migrations.Commands;
using ShardKit.Tests.Cli;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Tables;

public sealed class TableModelTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    private static ShardTablesOptions TeamTables() => new()
    {
        Root = new TableOptions { Name = "trade_orders", OrderIdColumn = "id", UserIdColumn = "buyer_id", MerchantIdColumn = "shop_id", VersionColumn = "row_version" },
        Children =
        [
            new TableOptions { Name = "order_payments", MerchantCopy = MerchantCopy.Columns, MerchantColumns = ["amount", "paid_at"] },
            new TableOptions { Name = "order_audit", MerchantCopy = MerchantCopy.None },
        ],
    };

    [Fact]
    public void WithoutATablesSectionTheMapUsesTheBuiltInOrderSchema()
    {
        var map = ShardMap.Create(TestTopologies.DevUp());

        Assert.Same(TableModel.BuiltIn, map.Tables);
        Assert.False(map.Tables.IsDeclared);
        Assert.Equal(["orders", "order_items"], map.Tables.Tables.Select(t => t.Name));
        Assert.Equal(("order_id", "user_id", "merchant_id", "version"), (map.Tables.Root.OrderIdColumn, map.Tables.Root.UserIdColumn, map.Tables.Root.MerchantIdColumn, map.Tables.Root.VersionColumn));
    }

    [Fact]
    public void CompilesADeclarationWithItsKeyColumnsAndMerchantCopies()
    {
        var options = TestTopologies.DevUp();
        options.Tables = TeamTables();

        var tables = ShardMap.Create(options).Tables;

        Assert.True(tables.IsDeclared);
        Assert.Equal("trade_orders", tables.Root.Name);
        Assert.Equal(TableRole.Root, tables.Root.Role);
        Assert.Equal(("id", "buyer_id", "shop_id", "row_version"), (tables.Root.OrderIdColumn, tables.Root.UserIdColumn, tables.Root.MerchantIdColumn, tables.Root.VersionColumn));
        var payments = tables.Find("ORDER_PAYMENTS")!;
        Assert.Equal(TableRole.Child, payments.Role);
        Assert.Equal("order_id", payments.OrderIdColumn);
        Assert.Null(payments.UserIdColumn);
        Assert.Equal(["order_id", "amount", "paid_at"], payments.MerchantColumns);
        Assert.Equal(["trade_orders", "order_payments", "order_audit"], tables.In(ShardDimension.User).Select(t => t.Name));
        Assert.Equal(["trade_orders", "order_payments"], tables.In(ShardDimension.Merchant).Select(t => t.Name));
        Assert.Null(tables.Find("orders"));
    }

    [Fact]
    public void ExpandsThePlaceholderOfEveryDeclaredTableOnTheShardsSchema()
    {
        var options = TestTopologies.DevUp();
        options.Tables = TeamTables();
        var slot = ShardMap.Create(options).GetRoute(ShardDimension.User, 17).Slot;

        var sql = slot.ExpandSql("SELECT * FROM {trade_orders} o JOIN {order_payments} p ON p.order_id = o.id JOIN {order_audit} a ON a.order_id = o.id WHERE x = '{unknown}'");

        Assert.Equal("SELECT * FROM `sk_user_017`.`trade_orders` o JOIN `sk_user_017`.`order_payments` p ON p.order_id = o.id JOIN `sk_user_017`.`order_audit` a ON a.order_id = o.id WHERE x = '{unknown}'", sql);
    }

    [Fact]
    public void ABadDeclarationIsRefusedWithEveryProblemNamingItsEntry()
    {
        var options = TestTopologies.DevUp();
        options.Tables = new ShardTablesOptions
        {
            Root = new TableOptions { Name = "orders`; DROP TABLE x", MerchantCopy = MerchantCopy.None },
            Children =
            [
                new TableOptions { Name = "order_items", UserIdColumn = "user_id" },
                new TableOptions { Name = "order_items" },
                new TableOptions { Name = "shardkit_outbox" },
                new TableOptions { Name = "order_notes", MerchantCopy = MerchantCopy.Columns },
                new TableOptions { Name = "order_tags", MerchantColumns = ["tag"] },
            ],
        };

        var errors = ShardMap.Validate(options);

        Assert.Contains("Tables:Root:Name 'orders`; DROP TABLE x' is not a plain identifier (letters, digits, _ and $; at most 64 characters)", errors);
        Assert.Contains("Tables:Root:MerchantCopy is None; the root table is always copied to the merchant dimension (All or Columns)", errors);
        Assert.Contains("Tables:Children:0:UserIdColumn is set on child table 'order_items'; only the root table has it (a child follows its order by order_id)", errors);
        Assert.Contains("Tables:Children:1:Name 'order_items' is declared twice", errors);
        Assert.Contains("Tables:Children:2:Name 'shardkit_outbox' is reserved for ShardKit's own tables", errors);
        Assert.Contains("Tables:Children:3:MerchantColumns is empty; MerchantCopy Columns needs the columns the merchant copy keeps", errors);
        Assert.Contains("Tables:Children:4:MerchantColumns is set but MerchantCopy is All; list columns only with MerchantCopy Columns", errors);
        var error = Assert.Throws<ShardKitException>(() => ShardMap.Create(options));
        Assert.Equal(ShardKitErrorCode.InvalidTopology, error.ErrorCode);
    }

    [Fact]
    public void ATablesSectionWithoutARootIsRefused()
    {
        var options = TestTopologies.DevUp();
        options.Tables = new ShardTablesOptions { Children = [new TableOptions { Name = "order_items" }] };

        Assert.Contains(ShardMap.Validate(options), e => e.StartsWith("Tables:Root is missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TopologyValidateOfflineReadsTheTablesSectionAndListsItsProblems()
    {
        var json = CliRunner.DevUpJson.Replace(
            "}]}}",
            """}],"Tables":{"Root":{"Name":"trade_orders","VersionColumn":"row version"},"Children":[{"Name":"order_payments","MerchantCopy":"Columns"}]}}}""",
            StringComparison.Ordinal);
        var config = _cli.WriteConfig(json);

        var (exitCode, output, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config, "--offline");

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Contains("Topology is invalid (2 errors):", error, StringComparison.Ordinal);
        Assert.Contains("  - Tables:Root:VersionColumn 'row version' is not a plain identifier", error, StringComparison.Ordinal);
        Assert.Contains("  - Tables:Children:0:MerchantColumns is empty", error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", error, StringComparison.Ordinal);
    }
}
