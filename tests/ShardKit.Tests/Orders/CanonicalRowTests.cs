using ShardKit.Orders;

namespace ShardKit.Tests.Orders;

public sealed class CanonicalRowTests
{
    [Fact]
    public void DiffNamesMissingExtraAndDifferentOrdersAndIgnoresEqualOnes()
    {
        var user = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (2, 0xB), [3] = (1, 0xC) };
        var merchant = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (2, 0xBB), [4] = (3, 0xD) };

        var differences = CanonicalRow.Diff(17, user, merchant);

        Assert.Equal([2L, 3L, 4L], differences.Select(d => d.OrderId));
        Assert.Equal(
            [DimensionDifferenceKind.Different, DimensionDifferenceKind.MissingOnMerchant, DimensionDifferenceKind.ExtraOnMerchant],
            differences.Select(d => d.Kind));
        Assert.All(differences, d => Assert.Equal(17, d.MerchantShard));
        Assert.Equal((1L, (long?)null), (differences[1].UserVersion!.Value, differences[1].MerchantVersion));
        Assert.Equal(((long?)null, 3L), (differences[2].UserVersion, differences[2].MerchantVersion!.Value));
    }

    [Fact]
    public void DiffOfEqualSidesIsEmpty()
    {
        var rows = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (5, 0xB) };

        Assert.Empty(CanonicalRow.Diff(0, rows, new Dictionary<long, (long, ulong)>(rows)));
    }

    [Fact]
    public void TheMerchantGeneIsTheLowSevenBitsOfTheOrderId()
    {
        var canonical = CanonicalRow.BuiltIn;

        Assert.Equal("((o.`order_id` >> 0) & 127)", canonical.MerchantGene);
        Assert.Contains("WHERE ((o.`order_id` >> 0) & 127) = @Gene", canonical.UserRows, StringComparison.Ordinal);
        Assert.DoesNotContain("deleted", canonical.Aggregate, StringComparison.Ordinal);
        Assert.DoesNotContain("deleted", canonical.Hash, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRowHashQuotesEveryColumnSortedByNameSoNullAndEmptyDiffer()
    {
        var hash = CanonicalRow.RowHash(["b", "A", "c"], c => "t.`" + c + "`");

        Assert.Equal("CAST(CONV(LEFT(MD5(CONCAT_WS('|', QUOTE(t.`A`), QUOTE(t.`b`), QUOTE(t.`c`))), 16), 16, 10) AS UNSIGNED)", hash);
        Assert.Equal(hash, CanonicalRow.RowHash(["c", "b", "A"], c => "t.`" + c + "`"));
    }

    [Fact]
    public void TheBuiltInOrderHashIsEveryOrderColumnAndTheItemsCountAndXor()
    {
        const string Items =
            "(SELECT CONCAT(COUNT(*), ':', IFNULL(BIT_XOR(CAST(CONV(LEFT(MD5(CONCAT_WS('|', QUOTE(c0.`line_no`), QUOTE(o.`order_id`), QUOTE(c0.`quantity`), " +
            "QUOTE(c0.`sku`), QUOTE(c0.`unit_price`))), 16), 16, 10) AS UNSIGNED)), 0)) FROM {order_items} c0 WHERE c0.`order_id` = o.`order_id`)";
        Assert.Equal(
            "CAST(CONV(LEFT(MD5(CONCAT_WS('|', QUOTE(o.`created_at`), QUOTE(o.`currency`), QUOTE(o.`ext`), QUOTE(o.`merchant_id`), QUOTE(o.`order_id`), " +
            "QUOTE(o.`status`), QUOTE(o.`total_amount`), QUOTE(o.`updated_at`), QUOTE(o.`user_id`), QUOTE(o.`version`), " + Items + ")), 16), 16, 10) AS UNSIGNED)",
            CanonicalRow.BuiltIn.Hash);
        Assert.Equal($"SELECT COUNT(*), IFNULL(BIT_XOR({CanonicalRow.BuiltIn.Hash}), 0) FROM {{orders}} o", CanonicalRow.BuiltIn.Aggregate);
        Assert.Equal($"SELECT o.`version`, {CanonicalRow.BuiltIn.Hash} FROM {{orders}} o WHERE o.`order_id` = @OrderId", CanonicalRow.BuiltIn.OneRow);
    }

    [Fact]
    public void ADeclaredOrderHashesWhatTheMerchantCopyKeepsWhateverTheColumnOrder()
    {
        var plan = TeamPlan(reversed: false);
        var canonical = new CanonicalRow(plan);
        var hash = canonical.Hash;

        // The root's copied columns, sorted by name: not the generated one.
        Assert.Contains("QUOTE(o.`address`), QUOTE(o.`buyer_id`), QUOTE(o.`id`), QUOTE(o.`row_version`), QUOTE(o.`shop_id`), QUOTE(o.`signature`), QUOTE(o.`state`)", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("`total`", hash, StringComparison.Ordinal);

        // The payments' projection (its order-ID column is the order's ID), not its other columns; no audit table.
        Assert.Contains(
            "QUOTE(c0.`amount`), QUOTE(o.`id`), QUOTE(c0.`paid_at`), QUOTE(c0.`payment_no`))), 16), 16, 10) AS UNSIGNED)), 0)) FROM {order_payments} c0 WHERE c0.`order_id` = o.`id`)",
            hash,
            StringComparison.Ordinal);
        Assert.DoesNotContain("method", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("gateway_raw", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("order_audit", hash, StringComparison.Ordinal);

        Assert.Equal("((o.`id` >> 0) & 127)", canonical.MerchantGene);
        Assert.StartsWith("SELECT o.`id`, o.`row_version`, CAST(", canonical.Rows, StringComparison.Ordinal);
        Assert.EndsWith(" FROM {trade_orders} o", canonical.Rows, StringComparison.Ordinal);

        // The same SQL whatever order the server lists the columns in (both dimensions agree).
        Assert.Equal(hash, new CanonicalRow(TeamPlan(reversed: true)).Hash);
    }

    [Fact]
    public void TheLegacySourceHashesItsShardKitIdAndJoinsItemsByItsOwnKey()
    {
        var legacy = new CanonicalRow(BuiltInPlan(), orderId: "o.`shardkit_order_id`", childKey: "o.`order_id`");

        Assert.Contains("QUOTE(o.`merchant_id`), QUOTE(o.`shardkit_order_id`), QUOTE(o.`status`)", legacy.Hash, StringComparison.Ordinal);
        Assert.Contains("QUOTE(c0.`line_no`), QUOTE(o.`shardkit_order_id`), QUOTE(c0.`quantity`)", legacy.Hash, StringComparison.Ordinal);
        Assert.Contains("WHERE c0.`order_id` = o.`order_id`)", legacy.Hash, StringComparison.Ordinal);
        Assert.DoesNotContain("QUOTE(o.`order_id`)", legacy.Hash, StringComparison.Ordinal);
        Assert.StartsWith("SELECT o.`shardkit_order_id`, o.`version`, ", legacy.Rows, StringComparison.Ordinal);

        // The same definition as the shard copy's, with only the ID's source changed.
        Assert.Equal(CanonicalRow.BuiltIn.Hash, legacy.Hash.Replace("o.`shardkit_order_id`", "o.`order_id`", StringComparison.Ordinal));
    }

    private static MerchantCopyPlan BuiltInPlan() =>
        new(TableModel.BuiltIn, [new TableShape("orders", ShardKit.Schema.OrderSchema.OrdersColumns, ["order_id"], fromServer: false), new TableShape("order_items", ShardKit.Schema.OrderSchema.ItemsColumns, ["order_id", "line_no"], fromServer: false)]);

    /// <summary>The team schema of the integration tests (trade_orders, a projection of order_payments, order_audit on user shards only), as the merchant shards describe it.</summary>
    private static MerchantCopyPlan TeamPlan(bool reversed)
    {
        var errors = new List<string>();
        var model = TableModel.Compile(
            new ShardTablesOptions
            {
                Root = new TableOptions { Name = "trade_orders", OrderIdColumn = "id", UserIdColumn = "buyer_id", MerchantIdColumn = "shop_id", VersionColumn = "row_version" },
                Children =
                [
                    new TableOptions { Name = "order_payments", MerchantCopy = MerchantCopy.Columns, MerchantColumns = ["payment_no", "amount", "paid_at"] },
                    new TableOptions { Name = "order_audit", MerchantCopy = MerchantCopy.None },
                ],
            },
            errors)!;
        Assert.Empty(errors);
        List<ColumnShape> root =
        [
            new("id", "bigint", "bigint(20)", false, false), new("buyer_id", "bigint", "bigint(20)", false, false), new("shop_id", "bigint", "bigint(20)", false, false),
            new("row_version", "bigint", "bigint(20)", false, false), new("state", "enum", "enum('created','paid')", false, false),
            new("total", "decimal", "decimal(18,2)", false, true), new("address", "json", "longtext", true, false), new("signature", "blob", "blob", true, false),
        ];
        List<ColumnShape> payments =
        [
            new("order_id", "bigint", "bigint(20)", false, false), new("payment_no", "int", "int(11)", false, false),
            new("amount", "decimal", "decimal(18,2)", false, false), new("paid_at", "datetime", "datetime(6)", true, false),
        ];
        if (reversed)
        {
            root.Reverse();
            payments.Reverse();
        }

        return new MerchantCopyPlan(model, [new TableShape("trade_orders", root, ["id"], fromServer: true), new TableShape("order_payments", payments, ["order_id", "payment_no"], fromServer: true)]);
    }
}
