using ShardKit.Tables;

namespace ShardKit.Tests.CrossShard;

/// <summary>The one mapping from a server type to how cross-shard queries read, sort and aggregate a column.</summary>
public sealed class ColumnKindsTests
{
    [Theory]
    [InlineData("bigint", "bigint(20)", "Int64")]
    [InlineData("bigint", "bigint(20) unsigned", "Decimal")]
    [InlineData("int", "int(11)", "Int64")]
    [InlineData("tinyint", "tinyint(1)", "Int64")]
    [InlineData("decimal", "decimal(18,2)", "Decimal")]
    [InlineData("double", "double", "Double")]
    [InlineData("float", "float", "Double")]
    [InlineData("datetime", "datetime(6)", "DateTime")]
    [InlineData("timestamp", "timestamp", "DateTime")]
    [InlineData("date", "date", "DateTime")]
    [InlineData("time", "time(3)", "Time")]
    [InlineData("varchar", "varchar(40)", "String")]
    [InlineData("char", "char(3)", "String")]
    [InlineData("enum", "enum('created','paid')", "String")]
    [InlineData("text", "text", "String")]
    [InlineData("json", "longtext", "Json")]
    [InlineData("blob", "blob", "Binary")]
    [InlineData("varbinary", "varbinary(16)", "Binary")]
    [InlineData("point", "point", "Other")]
    public void MapsTheServersTypeToAKind(string dataType, string columnType, string kind)
    {
        Assert.Equal(Enum.Parse<ColumnKind>(kind), ColumnKinds.Of(new ColumnShape("c", dataType, columnType, IsNullable: false, IsGenerated: false)));
    }

    [Fact]
    public void OnlyOrderedKindsSortAndOnlyNumbersSum()
    {
        Assert.All([ColumnKind.Int64, ColumnKind.Decimal, ColumnKind.Double, ColumnKind.DateTime, ColumnKind.Time, ColumnKind.String], k => Assert.True(ColumnKinds.IsOrdered(k)));
        Assert.All([ColumnKind.Json, ColumnKind.Binary, ColumnKind.Other], k => Assert.False(ColumnKinds.IsOrdered(k)));
        Assert.All([ColumnKind.Int64, ColumnKind.Decimal, ColumnKind.Double], k => Assert.True(ColumnKinds.IsNumeric(k)));
        Assert.All([ColumnKind.DateTime, ColumnKind.String, ColumnKind.Time], k => Assert.False(ColumnKinds.IsNumeric(k)));
    }

    [Fact]
    public void ANullableSortColumnSeeksPastNullsAsTheServerSortsThem()
    {
        var table = new TableShape(
            "trade_orders",
            [new("id", "bigint", "bigint(20)", false, false), new("paid_at", "datetime", "datetime(6)", true, false), new("buyer_note", "varchar", "varchar(512)", true, false)],
            ["id"],
            fromServer: true);
        var plan = RowQueryPlan.Create(
            new CrossShardQuery { Dimension = ShardDimension.User, OrderBy = [CrossShardSort.DescendingBy("PAID_AT"), CrossShardSort.Ascending("buyer_note")] },
            new CrossShardOptions(),
            table);
        using var shards = new ShardKitDataSourceBuilder(ShardKit.Tests.Fakes.TestTopologies.DevUp()).Build();

        var sql = plan.BuildSql(ClusterPart.Resolve(shards.Map, ShardDimension.User, [0], "query")[0], seek: true);

        Assert.Equal(["paid_at", "buyer_note", "id"], plan.KeyColumns);
        Assert.Contains("(@sk_seek0 IS NOT NULL AND (`paid_at` < @sk_seek0 OR `paid_at` IS NULL))", sql, StringComparison.Ordinal);
        Assert.Contains(
            "`paid_at` <=> @sk_seek0 AND (CAST(`buyer_note` AS BINARY) > @sk_seek1 OR (@sk_seek1 IS NULL AND CAST(`buyer_note` AS BINARY) IS NOT NULL))",
            sql,
            StringComparison.Ordinal);
        Assert.Contains("`paid_at` <=> @sk_seek0 AND CAST(`buyer_note` AS BINARY) <=> @sk_seek1 AND `id` > @sk_seek2", sql, StringComparison.Ordinal);
        Assert.Contains("FROM `sk_user_000`.`trade_orders`", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void MinAndMaxOfAStringCompareItsBytesOnEveryShard()
    {
        var table = new TableShape("t", [new("id", "bigint", "bigint(20)", false, false), new("state", "enum", "enum('a','b')", false, false)], ["id"], fromServer: true);
        var plan = AggregatePlan.Create(
            new CrossShardAggregateQuery { Dimension = ShardDimension.User, GroupBy = ["state"], Aggregates = [CrossShardAggregate.Min("state"), CrossShardAggregate.Max("state")] },
            table);
        using var shards = new ShardKitDataSourceBuilder(ShardKit.Tests.Fakes.TestTopologies.DevUp()).Build();

        var sql = plan.BuildSql(ClusterPart.Resolve(shards.Map, ShardDimension.User, [0], "query")[0]);

        Assert.StartsWith("SELECT CAST(`state` AS BINARY) AS sk_group0, MIN(CAST(`state` AS BINARY)), MAX(CAST(`state` AS BINARY)) FROM", sql, StringComparison.Ordinal);
        Assert.Equal([ColumnKind.String, ColumnKind.String], plan.PartialKinds);
    }
}
