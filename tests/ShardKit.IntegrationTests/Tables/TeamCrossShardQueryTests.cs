using System.Text.Json;
using Dapper;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// Cross-shard queries on a team's own table (<see cref="TeamSchema"/>'s <c>trade_orders</c> over 8 user shards on 2
/// clusters), by its declared columns with the server's types, each result compared with the same query as one SQL
/// statement over all rows in one unsharded table.
/// </summary>
[Collection(nameof(TeamQueryCollection))]
public sealed class TeamCrossShardQueryTests(TeamQueryFixture fixture) : IAsyncLifetime
{
    private ShardKitDataSource _shards = null!;
    private CrossShardQueryExecutor _executor = null!;

    public Task InitializeAsync()
    {
        _shards = fixture.NewDataSource();
        _executor = new CrossShardQueryExecutor(_shards);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Theory]
    [InlineData("goods_amount DESC, created_at ASC", "`goods_amount` DESC, `created_at` ASC, `id` ASC")]
    [InlineData("created_at DESC", "`created_at` DESC, `id` DESC")]
    [InlineData("buyer_note ASC, goods_amount DESC", "CAST(`buyer_note` AS BINARY) ASC, `goods_amount` DESC, `id` DESC")]
    [InlineData("paid_at DESC, trade_no ASC", "`paid_at` DESC, CAST(`trade_no` AS BINARY) ASC, `id` ASC")]
    [InlineData("risk_score ASC", "`risk_score` ASC, `id` ASC")]
    public async Task PagesOfATeamColumnVisitEveryRowOnceInTheOrderOfOneSqlOverAllRows(string sort, string flatOrder)
    {
        var query = new CrossShardQuery
        {
            Dimension = ShardDimension.User,
            Columns = ["id"],
            OrderBy = QueryArguments.OrderBy(sort),
            PageSize = 37,
        };

        var seen = new List<long>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _executor.QueryPageAsync<long>(query, token);
            Assert.InRange(page.Rows.Count, 1, 37);
            seen.AddRange(page.Rows);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<long>($"SELECT id FROM {TeamQueryFixture.FlatOrders} ORDER BY {flatOrder}")).ToList();
        Assert.Equal(TeamQueryFixture.OrderCount, expected.Count);
        Assert.Equal(expected, seen);
        Assert.Equal((TeamQueryFixture.OrderCount + 36) / 37, pages);
    }

    [Fact]
    public async Task AFilterOnAnEnumColumnWithATopNOnADecimalColumnMatchesOneSql()
    {
        var page = await _executor.QueryPageAsync<dynamic>(new CrossShardQuery
        {
            Dimension = ShardDimension.User,
            Table = "TRADE_ORDERS",
            Filter = "state = @state AND currency = @currency",
            Parameters = new { state = "paid", currency = "EUR" },
            Columns = ["id", "state", "goods_amount", "created_at"],
            OrderBy = [CrossShardSort.DescendingBy("goods_amount"), CrossShardSort.DescendingBy("created_at")],
            PageSize = 25,
        });

        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<long>(
            $"SELECT id FROM {TeamQueryFixture.FlatOrders} WHERE state = 'paid' AND currency = 'EUR' ORDER BY goods_amount DESC, created_at DESC, id DESC LIMIT 25")).ToList();
        Assert.Equal(expected, page.Rows.Select(r => (long)r.id));
        Assert.All(page.Rows, r => Assert.Equal("paid", (string)r.state));
        Assert.IsType<DateTime>(page.Rows[0].created_at);
        Assert.NotNull(page.ContinuationToken);
    }

    [Fact]
    public async Task TheGeneratedColumnAndEveryOtherColumnAreReadable()
    {
        var page = await _executor.QueryPageAsync<dynamic>(new CrossShardQuery
        {
            Dimension = ShardDimension.User,
            OrderBy = [CrossShardSort.Ascending("trade_no")],
            PageSize = 1000,
        });

        Assert.Equal(TeamQueryFixture.OrderCount, page.Rows.Count);
        var byId = fixture.Orders.ToDictionary(o => o.Id);
        foreach (IDictionary<string, object?> row in page.Rows)
        {
            Assert.Equal(23, row.Count);
            var order = byId[(long)row["id"]!];
            Assert.Equal(order.GoodsAmount + order.Freight - (order.Discount ?? 0), (decimal)row["total"]!);
            Assert.Equal(order.Signature, row["signature"] as byte[]);
            Assert.Equal(order.PaidAt, row["paid_at"] as DateTime?);
        }
    }

    [Fact]
    public async Task GroupsByAnEnumWithCountSumAndMinMaxOfStringsNumbersAndDatesMatchOneSql()
    {
        var result = await _executor.AggregateAsync(new CrossShardAggregateQuery
        {
            Dimension = ShardDimension.User,
            GroupBy = ["state"],
            Aggregates =
            [
                CrossShardAggregate.Count(), CrossShardAggregate.Sum("total"), CrossShardAggregate.Min("trade_no"), CrossShardAggregate.Max("buyer_note"),
                CrossShardAggregate.Min("buyer_note"), CrossShardAggregate.Max("paid_at"), CrossShardAggregate.Avg("risk_score"), CrossShardAggregate.Min("goods_amount"),
            ],
        });

        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<(string State, long Count, decimal Sum, byte[] MinTrade, byte[]? MaxNote, byte[]? MinNote, DateTime? MaxPaid, double? AvgRisk, decimal MinGoods)>(
            $"""
            SELECT CAST(state AS CHAR), COUNT(*), SUM(total), MIN(CAST(trade_no AS BINARY)), MAX(CAST(buyer_note AS BINARY)), MIN(CAST(buyer_note AS BINARY)),
                MAX(paid_at), AVG(risk_score), MIN(goods_amount)
            FROM {TeamQueryFixture.FlatOrders} GROUP BY CAST(state AS BINARY) ORDER BY CAST(state AS BINARY)
            """)).ToList();
        Assert.Equal(5, expected.Count);
        Assert.Equal(expected.Select(e => e.State), result.Rows.Select(r => (string)r.Keys[0]!));
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var values = result.Rows[i].Values;
            Assert.Equal(e.Count, values[0]);
            Assert.Equal(e.Sum, values[1]);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(e.MinTrade), values[2]);
            Assert.Equal(e.MaxNote is null ? null : System.Text.Encoding.UTF8.GetString(e.MaxNote), values[3]);
            Assert.Equal(e.MinNote is null ? null : System.Text.Encoding.UTF8.GetString(e.MinNote), values[4]);
            Assert.Equal(e.MaxPaid, values[5]);
            Assert.Equal(e.AvgRisk!.Value, (double)values[6]!, 9);
            Assert.Equal(e.MinGoods, values[7]);
        }

        // Bytes, not the collation: "Zürich" and "zebra" order as their UTF-8 bytes.
        Assert.Contains(result.Rows, r => (string?)r.Values[3] == "ünterschrift");
    }

    [Fact]
    public async Task AChildTableIsPagedByItsPrimaryKeyAsTiebreaker()
    {
        var query = new CrossShardQuery { Dimension = ShardDimension.User, Table = "order_payments", Columns = ["order_id", "payment_no"], OrderBy = [CrossShardSort.DescendingBy("amount")], PageSize = 50 };
        var seen = new List<(long, int)>();
        string? token = null;
        do
        {
            var page = await _executor.QueryPageAsync<(long OrderId, int PaymentNo)>(query, token);
            seen.AddRange(page.Rows.Select(r => (r.OrderId, r.PaymentNo)));
            token = page.ContinuationToken;
        }
        while (token is not null);

        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<(long, int)>($"SELECT order_id, payment_no FROM {TeamQueryFixture.FlatPayments} ORDER BY amount DESC, order_id DESC, payment_no DESC")).ToList();
        Assert.Equal(expected, seen);
    }

    [Theory]
    [InlineData(null, "amount", "Unknown sort column 'amount': the trade_orders table's columns are id, buyer_id, shop_id, row_version, trade_no, state, goods_amount")]
    [InlineData(null, "address", "Cannot sort by 'address': a JSON column has no order")]
    [InlineData(null, "signature", "Cannot sort by 'signature': a BLOB/BINARY column has no order")]
    [InlineData("order_refunds", "id", "Unknown table 'order_refunds': cross-shard queries read a declared table, which are trade_orders, order_payments, order_audit")]
    public async Task MistakesAreNamedWithWhatExists(string? table, string sort, string message)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _executor.QueryPageAsync<object>(
            new CrossShardQuery { Dimension = ShardDimension.User, Table = table, OrderBy = [CrossShardSort.Ascending(sort)] }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATableTheMerchantShardsDoNotHoldIsRefusedOnThatDimension()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _executor.AggregateAsync(
            new CrossShardAggregateQuery { Dimension = ShardDimension.Merchant, Table = "order_audit", Aggregates = [CrossShardAggregate.Count()] }));

        Assert.Contains("Table order_audit is not on the merchant shards", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AColumnAddedAfterTheShapeWasReadIsFoundByTheSameExecutor()
    {
        await _executor.QueryPageAsync<long>(new CrossShardQuery { Dimension = ShardDimension.User, Columns = ["id"], PageSize = 1 });
        await AlterUserShardsAsync("ALTER TABLE {trade_orders} ADD COLUMN coupon VARCHAR(16) NULL");
        try
        {
            await Task.Delay(1100);
            var page = await _executor.QueryPageAsync<dynamic>(
                new CrossShardQuery { Dimension = ShardDimension.User, Columns = ["id", "coupon"], OrderBy = [CrossShardSort.Ascending("coupon")], PageSize = 5 });

            Assert.Equal(5, page.Rows.Count);
            Assert.All(page.Rows, r => Assert.Null((object?)r.coupon));
        }
        finally
        {
            await AlterUserShardsAsync("ALTER TABLE {trade_orders} DROP COLUMN coupon");
        }
    }

    [Fact]
    public async Task TheCliPrintsATableAndATokenThatFetchesTheNextPage()
    {
        var first = await TeamTablesFixture.RunAsync(
            QueryCommand.Create(), "--config", fixture.ConfigPath, "--dimension", "user", "--where", "state = @state", "--param", "state=shipped",
            "--columns", "id,trade_no,state,total", "--order-by", "total desc,created_at", "--limit", "10");
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Contains("trade_no", first.Output, StringComparison.Ordinal);
        Assert.Contains("shipped", first.Output, StringComparison.Ordinal);
        Assert.Contains("10 row(s)", first.Output, StringComparison.Ordinal);
        var token = first.Output.Split('\n').Single(l => l.StartsWith("next page: --continue ", StringComparison.Ordinal))["next page: --continue ".Length..].Trim();

        var second = await TeamTablesFixture.RunAsync(
            QueryCommand.Create(), "--config", fixture.ConfigPath, "--dimension", "user", "--where", "state = @state", "--param", "state=shipped",
            "--columns", "id,trade_no,state,total", "--order-by", "total desc,created_at", "--limit", "10", "--continue", token, "--json");
        Assert.True(second.ExitCode == 0, second.Error);

        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<long>(
            $"SELECT id FROM {TeamQueryFixture.FlatOrders} WHERE state = 'shipped' ORDER BY total DESC, created_at ASC, id ASC LIMIT 10, 10")).ToList();
        using var json = JsonDocument.Parse(second.Output);
        Assert.Equal(expected, json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal(["id", "trade_no", "state", "total"], json.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("continuationToken").ValueKind);
        Assert.Empty(json.RootElement.GetProperty("missingShards").EnumerateArray());
    }

    [Fact]
    public async Task TheCliAggregatesByGroupAsJsonWithParametersTypedByTheirColumn()
    {
        var (exitCode, output, error) = await TeamTablesFixture.RunAsync(
            QueryCommand.Create(), "-c", fixture.ConfigPath, "-d", "user", "--where", "created_at >= @created_at", "--param", "created_at=2026-11-01 08:20:00",
            "--group-by", "state", "--agg", "count(*),sum(total),max(buyer_note)", "--json");

        Assert.True(exitCode == 0, error);
        await using var flat = await fixture.OpenFlatAsync();
        var expected = (await flat.QueryAsync<(string State, long Count)>(
            $"SELECT CAST(state AS CHAR), COUNT(*) FROM {TeamQueryFixture.FlatOrders} WHERE created_at >= '2026-11-01 08:20:00' GROUP BY CAST(state AS BINARY) ORDER BY CAST(state AS BINARY)")).ToList();
        using var json = JsonDocument.Parse(output);
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(expected.Select(e => e.State), rows.Select(r => r.GetProperty("state").GetString()));
        Assert.Equal(expected.Select(e => e.Count), rows.Select(r => r.GetProperty("count(*)").GetInt64()));
        Assert.Equal(["state", "count(*)", "sum(total)", "max(buyer_note)"], json.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
    }

    [Theory]
    [InlineData("--order-by", "nope", "Unknown sort column 'nope': the trade_orders table's columns are id,")]
    [InlineData("--table", "order_refunds", "Unknown table 'order_refunds'")]
    [InlineData("--continue", "not-a-token", "--continue: The continuation token is invalid")]
    [InlineData("--param", "state", "--param: 'state' is not name=value")]
    [InlineData("--where", "no_such_column = 1", "the server refused the query (check --where and --param)")]
    public async Task TheCliReportsBadInputInOneLineWithExitCode2(string option, string value, string message)
    {
        var (exitCode, output, error) = await TeamTablesFixture.RunAsync(QueryCommand.Create(), "--config", fixture.ConfigPath, "--dimension", "user", option, value);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal("", output);
    }

    private async Task AlterUserShardsAsync(string sql)
    {
        foreach (var route in _shards.Map.GetRoutes(ShardDimension.User))
        {
            await using var shard = await _shards.OpenAsync(route, ShardIntent.Write);
            await shard.Connection.ExecuteAsync(shard.Sql(sql));
        }
    }
}
