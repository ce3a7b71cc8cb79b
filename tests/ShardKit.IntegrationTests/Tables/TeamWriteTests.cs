using Dapper;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Tables;

/// <summary><see cref="TeamTablesFixture"/>'s tables with ShardKit's own tables beside them (<c>shardkit schema apply</c> without <c>--sql</c>).</summary>
public sealed class TeamWriteFixture : IAsyncLifetime
{
    private readonly TeamTablesFixture _tables = new();

    public MariaDbTopology Topology => _tables.Topology;

    public ShardKitOptions Options { get; } = new();

    public async Task InitializeAsync()
    {
        await _tables.InitializeAsync();
        var (exitCode, _, error) = await TeamTablesFixture.RunAsync(SchemaCommand.Create(), "apply", "--config", _tables.ConfigPath);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"shardkit schema apply (ShardKit's own tables) failed ({exitCode}): {error}");
        }

        new ConfigurationBuilder().AddJsonFile(_tables.ConfigPath).Build().GetSection("ShardKit").Bind(Options);
    }

    public ShardKitDataSource NewDataSource() => new ShardKitDataSourceBuilder(Options).Build();

    public Task DisposeAsync() => _tables.DisposeAsync();
}

/// <summary>A team's <c>trade_orders</c> row as a Dapper POCO (names match the columns without their underscores).</summary>
public sealed class TradeOrder
{
    public long Id { get; set; }

    public long BuyerId { get; set; }

    public long ShopId { get; set; }

    public long RowVersion { get; set; }

    public string TradeNo { get; set; } = "";

    public string State { get; set; } = "created";

    public decimal GoodsAmount { get; set; }

    public decimal Freight { get; set; }

    public decimal? Discount { get; set; }

    public decimal Total { get; set; }

    public string Currency { get; set; } = "EUR";

    public string? Address { get; set; }

    public byte[]? Signature { get; set; }

    public DateTime? PaidAt { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public bool IsGift { get; set; }

    public double? RiskScore { get; set; }
}

/// <summary>
/// Two-dimension writes on a team's own tables (<see cref="TeamSchema"/>): a 23-column root with JSON, BLOB, ENUM,
/// DECIMAL, DATETIME(6), a generated column and a unique key; a child table copied as a projection; a child table kept on
/// user shards only. Everything is checked on the servers.
/// </summary>
public sealed class TeamWriteTests : IClassFixture<TeamWriteFixture>, IAsyncLifetime
{
    private static int s_worker = 40;
    private readonly TeamWriteFixture _fixture;
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = Interlocked.Increment(ref s_worker), ShardCount = TeamTablesFixture.ShardCount });
    private ShardKitDataSource _shards = null!;
    private TwoDimensionOrderStore _store = null!;

    public TeamWriteTests(TeamWriteFixture fixture)
    {
        _fixture = fixture;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public Task InitializeAsync()
    {
        _shards = _fixture.NewDataSource();
        _store = new TwoDimensionOrderStore(_shards);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _shards.DisposeAsync();
    }

    private static readonly DateTime s_created = new(2026, 12, 6, 10, 0, 0, 123_456 / 1000, DateTimeKind.Utc);

    private OrderRow NewOrder(long buyer, long shop, string tradeNo, int payments = 2, int audits = 1)
    {
        var id = _ids.Next(buyer, shop);
        var values = new Dictionary<string, object?>
        {
            ["id"] = id.Value,
            ["buyer_id"] = buyer,
            ["shop_id"] = shop,
            ["trade_no"] = tradeNo,
            ["state"] = "paid",
            ["goods_amount"] = 120.50m,
            ["freight"] = 5m,
            ["discount"] = 2.25m,
            ["currency"] = "EUR",
            ["buyer_note"] = null,
            ["address"] = """{"city":"Zürich","zip":"8001"}""",
            ["signature"] = new byte[] { 0, 1, 2, 255 },
            ["paid_at"] = s_created.AddMinutes(1),
            ["created_at"] = s_created,
            ["updated_at"] = s_created,
            ["channel"] = 3,
            ["is_gift"] = true,
            ["risk_score"] = 0.125,
        };
        var children = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>
        {
            ["order_payments"] = Enumerable.Range(1, payments).Select(n => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["payment_no"] = n, ["method"] = n == 1 ? "card" : "wallet", ["amount"] = 60m / n, ["paid_at"] = s_created.AddMinutes(n), ["gateway_raw"] = $$"""{"ref":"g{{n}}"}""",
            }).ToList(),
            ["order_audit"] = Enumerable.Range(1, audits).Select(n => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["seq"] = n, ["actor"] = "buyer", ["action"] = "create", ["at"] = s_created,
            }).ToList(),
        };
        return new OrderRow(values, children);
    }

    private static OrderId IdOf(OrderRow row) => OrderId.FromValidatedValue(Convert.ToInt64(row["id"], System.Globalization.CultureInfo.InvariantCulture));

    private async Task<T> OnShardAsync<T>(OrderId id, ShardDimension dimension, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, dimension, ReadPreference.Primary);
        return (await shard.Connection.ExecuteScalarAsync<T>(shard.Sql(sql), new { OrderId = id.Value }))!;
    }

    [Fact]
    public async Task ACreateWritesEveryTableOnTheUserSideAndWhatTheModelKeepsOnTheMerchantSide()
    {
        var created = await _store.CreateAsync(NewOrder(101, 201, "T-create-1"));
        var id = IdOf(created);

        Assert.Equal(1, created.Version);
        Assert.NotNull(created.CausalToken);

        var user = await _store.GetRowAsync(id);
        Assert.NotNull(user);
        Assert.Equal(1L, Convert.ToInt64(user!["row_version"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(123.25m, user["total"]); // generated by the server: 120.50 + 5 - 2.25
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, user["signature"]);
        Assert.Equal(2, user.ChildRows("order_payments").Count);
        Assert.Single(user.ChildRows("order_audit"));

        // The merchant copy: the whole root (generated column computed there too), the payments' projection, no audit table.
        var merchant = await _store.GetMerchantRowAsync(id);
        Assert.NotNull(merchant);
        foreach (var (column, value) in user.Values)
        {
            Assert.Equal(value, merchant!.Values[column]);
        }

        var payments = merchant!.ChildRows("order_payments");
        Assert.Equal(2, payments.Count);
        Assert.All(payments, p => Assert.Equal(["order_id", "payment_no", "amount", "paid_at"], p.Keys.OrderBy(k => k == "order_id" ? 0 : 1).ThenBy(k => k == "payment_no" ? 0 : k == "amount" ? 1 : 2)));
        Assert.Equal(60m, payments.Single(p => (int)p["payment_no"]! == 1)["amount"]);
        Assert.Empty(merchant.ChildRows("order_audit"));
        Assert.Equal(0L, await OnShardAsync<long>(id, ShardDimension.Merchant, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'order_audit'"));
    }

    [Fact]
    public async Task APocoIsWrittenAndReadThroughDapper()
    {
        var id = _ids.Next(102, 202);
        var order = new TradeOrder
        {
            Id = id.Value, BuyerId = 102, ShopId = 202, TradeNo = "T-poco-1", State = "shipped", GoodsAmount = 10m, Freight = 1.5m, Currency = "USD",
            Address = """{"city":"Lyon"}""", CreatedAt = s_created, UpdatedAt = s_created, IsGift = false, RiskScore = null,
            Total = 999m, // generated: the property is skipped, the server computes 11.50
        };

        var created = await _store.CreateAsync(OrderRow.FromObject(order, new Dictionary<string, IEnumerable<object>>
        {
            ["order_payments"] = [new { PaymentNo = 1, Method = "card", Amount = 11.5m, PaidAt = (DateTime?)null, GatewayRaw = (string?)null }],
        }));

        var read = await _store.GetAsync<TradeOrder>(id);
        Assert.NotNull(read);
        Assert.Equal(("T-poco-1", "shipped", 11.5m, 1L), (read!.TradeNo, read.State, read.Total, read.RowVersion));
        var merchantTotal = await OnShardAsync<decimal>(id, ShardDimension.Merchant, "SELECT total FROM {trade_orders} WHERE id = @OrderId");
        Assert.Equal(11.5m, merchantTotal);
        var payments = await _store.GetChildRowsAsync<(long OrderId, int PaymentNo, string Method, decimal Amount, DateTime? PaidAt, string? GatewayRaw)>(id, "order_payments");
        Assert.Equal((id.Value, 1, "card", 11.5m), (payments[0].OrderId, payments[0].PaymentNo, payments[0].Method, payments[0].Amount));
        Assert.Equal(1, created.Version);
    }

    [Fact]
    public async Task AnUpdateSetsTheNamedColumnsReplacesTheNamedChildTablesAndTheCopyFollows()
    {
        var created = await _store.CreateAsync(NewOrder(103, 203, "T-update-1", payments: 2, audits: 2));
        var id = IdOf(created);

        var updated = await _store.UpdateAsync(new OrderRow(
            new Dictionary<string, object?> { ["id"] = id.Value, ["buyer_id"] = 103L, ["shop_id"] = 203L, ["state"] = "done", ["discount"] = null, ["buyer_note"] = "leave at door" },
            new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>
            {
                ["order_payments"] = [new Dictionary<string, object?> { ["payment_no"] = 7, ["method"] = "cash", ["amount"] = 125.5m, ["paid_at"] = null, ["gateway_raw"] = null }],
            }));

        Assert.NotNull(updated);
        Assert.Equal(2, updated!.Version);
        Assert.Equal(("done", 125.5m, "T-update-1"), ((string)updated["state"]!, (decimal)updated["total"]!, (string)updated["trade_no"]!));
        Assert.Equal(7, (int)updated.ChildRows("order_payments").Single()["payment_no"]!);
        Assert.Equal(2, updated.ChildRows("order_audit").Count); // not named: kept

        var merchant = await _store.GetMerchantRowAsync(id);
        Assert.Equal(("done", 2L, "leave at door"), ((string)merchant!["state"]!, Convert.ToInt64(merchant["row_version"], System.Globalization.CultureInfo.InvariantCulture), (string)merchant["buyer_note"]!));
        Assert.Null(merchant["discount"]);
        Assert.Equal(7, (int)merchant.ChildRows("order_payments").Single()["payment_no"]!);

        // An order that is not there is not updated.
        var missing = _ids.Next(103, 203);
        Assert.Null(await _store.UpdateAsync(new OrderRow(new Dictionary<string, object?> { ["id"] = missing.Value, ["buyer_id"] = 103L, ["shop_id"] = 203L, ["state"] = "done" })));
    }

    [Fact]
    public async Task ADeleteRemovesBothDimensionsLeavesTombstonesAndTheIdIsNeverReused()
    {
        var order = NewOrder(104, 204, "T-delete-1");
        var id = IdOf(await _store.CreateAsync(order));

        Assert.True(await _store.DeleteAsync(id));

        Assert.Null(await _store.GetRowAsync(id));
        Assert.Null(await _store.GetMerchantRowAsync(id));
        Assert.Equal(0L, await OnShardAsync<long>(id, ShardDimension.User, "SELECT (SELECT COUNT(*) FROM {order_payments} WHERE order_id = @OrderId) + (SELECT COUNT(*) FROM {order_audit} WHERE order_id = @OrderId)"));
        Assert.Equal(0L, await OnShardAsync<long>(id, ShardDimension.Merchant, "SELECT COUNT(*) FROM {order_payments} WHERE order_id = @OrderId"));
        Assert.Equal(2L, await OnShardAsync<long>(id, ShardDimension.User, "SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId"));
        Assert.Equal(2L, await OnShardAsync<long>(id, ShardDimension.Merchant, "SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId"));
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(order));
        Assert.Contains("deleted", error.Message, StringComparison.Ordinal);
        Assert.False(await _store.DeleteAsync(id));
    }

    [Fact]
    public async Task BadValuesAreRefusedByNameAndNothingIsWritten()
    {
        var good = NewOrder(105, 205, "T-bad-1");
        var id = IdOf(good);

        async Task<string> RefusedAsync(Action<Dictionary<string, object?>> change, string? childTable = null)
        {
            var values = new Dictionary<string, object?>(good.Values);
            change(values);
            var children = childTable is null ? good.Children : new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>> { [childTable] = [] };
            var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(new OrderRow(values, children)));
            return error.Message;
        }

        Assert.Contains("Unknown column 'colour' of table trade_orders", await RefusedAsync(v => v["colour"] = "red"), StringComparison.Ordinal);
        Assert.Contains("trade_orders.total is generated", await RefusedAsync(v => v["total"] = 1m), StringComparison.Ordinal);
        Assert.Contains("Unknown child table 'order_refunds'", await RefusedAsync(_ => { }, "order_refunds"), StringComparison.Ordinal);
        Assert.Contains("no value for key column shop_id", await RefusedAsync(v => v.Remove("shop_id")), StringComparison.Ordinal);
        var otherShop = Enumerable.Range(206, 100).Select(i => (long)i).First(m => _shards.Map.RouteMerchant(m).Shard != _shards.Map.RouteMerchant(205).Shard);
        Assert.Contains("merchant shard", await RefusedAsync(v => v["shop_id"] = otherShop), StringComparison.Ordinal);

        Assert.Null(await _store.GetRowAsync(id));
        Assert.Equal(0L, await OnShardAsync<long>(id, ShardDimension.User, "SELECT COUNT(*) FROM {schema}.shardkit_outbox WHERE order_id = @OrderId"));
    }

    [Fact]
    public async Task TheRelayAppliesCopiesOfTheDeclaredTables()
    {
        using var store = new TwoDimensionOrderStore(_shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        var first = IdOf(await store.CreateAsync(NewOrder(106, 206, "T-relay-1")));
        var second = IdOf(await store.CreateAsync(NewOrder(107, 207, "T-relay-2")));
        await store.UpdateAsync(new OrderRow(new Dictionary<string, object?> { ["id"] = second.Value, ["buyer_id"] = 107L, ["shop_id"] = 207L, ["state"] = "cancelled" }));
        var deleted = IdOf(await store.CreateAsync(NewOrder(108, 208, "T-relay-3")));
        await store.DeleteAsync(deleted);

        Assert.Null(await store.GetMerchantRowAsync(first));

        await new OutboxRelay(store).DrainAsync();

        Assert.Equal("paid", (string)(await store.GetMerchantRowAsync(first))!["state"]!);
        var copy = await store.GetMerchantRowAsync(second);
        Assert.Equal(("cancelled", 2), ((string)copy!["state"]!, copy.ChildRows("order_payments").Count));
        Assert.Null(await store.GetMerchantRowAsync(deleted));
        Assert.Equal(2L, await OnShardAsync<long>(deleted, ShardDimension.Merchant, "SELECT version FROM {schema}.shardkit_tombstones WHERE order_id = @OrderId"));
    }

    [Fact]
    public async Task AnAlternateKeyOnADeclaredColumnFindsTheOrder()
    {
        using var keys = new AlternateKeyStore(_shards);
        using var store = new TwoDimensionOrderStore(_shards, alternateKeys: keys);
        var order = NewOrder(109, 209, "T-key-1");

        var created = await store.CreateAsync(order, [new AlternateKey("trade_no", (string)order["trade_no"]!)]);

        var found = await keys.LookupAsync(new AlternateKey("trade_no", "T-key-1"));
        Assert.NotNull(found);
        Assert.Equal(IdOf(created), found!.Target.OrderId);
    }

    [Fact]
    public async Task TheTypedApiSaysToUseRowsOnADeclaredModel()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.GetAsync(_ids.Next(110, 210)));
        Assert.Contains("declares its own (trade_orders, order_payments, order_audit)", error.Message, StringComparison.Ordinal);
    }
}
