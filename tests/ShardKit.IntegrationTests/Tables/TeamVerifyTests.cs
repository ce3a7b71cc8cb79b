using System.Text.Json;
using Dapper;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// <c>verify dimensions [--repair]</c> on a team's own tables (<see cref="TeamSchema"/>): the merchant copy is compared on
/// what it keeps — every non-generated column of <c>trade_orders</c>, the projection of <c>order_payments</c>, nothing of
/// <c>order_audit</c> — so corruptions of the copy are found and repaired, and changes the copy does not carry are not.
/// </summary>
[Collection(nameof(TeamTablesCollection))]
public sealed class TeamVerifyTests(TeamTablesFixture fixture) : IAsyncLifetime
{
    private static readonly DateTime s_start = new(2026, 11, 5, 9, 30, 0, DateTimeKind.Unspecified);
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 59, ShardCount = TeamTablesFixture.ShardCount });
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync() => _shards = await fixture.OpenDataSourceAsync();

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task VerifyFindsExactlyTheCorruptedMerchantCopiesOfDeclaredTablesAndRepairFixesThem()
    {
        using var store = new TwoDimensionOrderStore(_shards);
        var orders = new List<OrderRow>();
        for (var i = 0; i < 10; i++)
        {
            orders.Add(await store.CreateAsync(NewOrder(i)));
        }

        var clean = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.True(clean.Equal, Describe(clean));
        Assert.True(clean.Shards.Sum(s => s.UserCount) >= orders.Count);

        long Id(int i) => (long)orders[i]["id"]!;

        // 0: a copied root column changed on the merchant side.
        await ExecuteAsync(ShardDimension.Merchant, Id(0), "UPDATE {trade_orders} SET buyer_note = 'changed on the merchant side' WHERE id = @OrderId");
        // 1: NULL where the user side has the empty string (QUOTE tells them apart).
        await ExecuteAsync(ShardDimension.Merchant, Id(1), "UPDATE {trade_orders} SET buyer_note = NULL WHERE id = @OrderId AND buyer_note = ''");
        // 2: a projection column of order_payments changed.
        await ExecuteAsync(ShardDimension.Merchant, Id(2), "UPDATE {order_payments} SET amount = amount + 0.01 WHERE order_id = @OrderId AND payment_no = 2");
        // 3: the order missing on the merchant side.
        await ExecuteAsync(ShardDimension.Merchant, Id(3), "DELETE FROM {order_payments} WHERE order_id = @OrderId; DELETE FROM {trade_orders} WHERE id = @OrderId");
        // 4: an extra order on the merchant side (gone from the user side without a tombstone).
        await ExecuteAsync(ShardDimension.User, Id(4), "DELETE FROM {order_audit} WHERE order_id = @OrderId; DELETE FROM {order_payments} WHERE order_id = @OrderId; DELETE FROM {trade_orders} WHERE id = @OrderId");
        // 5: an extra payment row on the merchant side.
        await ExecuteAsync(ShardDimension.Merchant, Id(5), "INSERT INTO {order_payments} (order_id, payment_no, amount, paid_at) VALUES (@OrderId, 9, 1.00, NULL)");
        // 6: a BLOB and a JSON column changed on the merchant side.
        await ExecuteAsync(ShardDimension.Merchant, Id(6), "UPDATE {trade_orders} SET signature = X'00', attributes = '{\"tier\":\"x\"}' WHERE id = @OrderId");
        // 7: columns and a table the merchant copy does not keep, changed on the user side: not a difference.
        await ExecuteAsync(ShardDimension.User, Id(7), """
            UPDATE {order_payments} SET method = 'changed', gateway_raw = '{"changed":true}' WHERE order_id = @OrderId;
            UPDATE {order_audit} SET actor = 'someone else' WHERE order_id = @OrderId;
            INSERT INTO {order_audit} (order_id, seq, actor, action, at) VALUES (@OrderId, 99, 'ops', 'note', NOW(6))
            """);
        // 8: a payment row missing on the merchant side.
        await ExecuteAsync(ShardDimension.Merchant, Id(8), "DELETE FROM {order_payments} WHERE order_id = @OrderId AND payment_no = 1");
        // 9 is left alone.

        var found = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.False(found.Equal);
        Assert.All(found.Shards, s => Assert.Null(s.Error));
        var expected = new Dictionary<long, DimensionDifferenceKind>
        {
            [Id(0)] = DimensionDifferenceKind.Different,
            [Id(1)] = DimensionDifferenceKind.Different,
            [Id(2)] = DimensionDifferenceKind.Different,
            [Id(3)] = DimensionDifferenceKind.MissingOnMerchant,
            [Id(4)] = DimensionDifferenceKind.ExtraOnMerchant,
            [Id(5)] = DimensionDifferenceKind.Different,
            [Id(6)] = DimensionDifferenceKind.Different,
            [Id(8)] = DimensionDifferenceKind.Different,
        };
        Assert.Equal(
            expected.Select(e => $"{e.Key}:{e.Value}").Order(StringComparer.Ordinal),
            found.Differences.Select(d => $"{d.OrderId}:{d.Kind}").Order(StringComparer.Ordinal));
        Assert.All(found.Differences, d => Assert.False(d.Repaired));
        Assert.All(found.Differences, d => Assert.Equal(_shards.Map.RouteOrder(OrderId.FromValidatedValue(d.OrderId), ShardDimension.Merchant).Shard, d.MerchantShard));

        // The CLI on the team's declaration: the same differences, then the repair, then a clean run.
        var (exit, output, error) = await TeamTablesFixture.RunAsync(VerifyCommand.Create(), "dimensions", "--config", fixture.ConfigPath, "--json");
        Assert.True(exit == 1, output + error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.False(json.RootElement.GetProperty("equal").GetBoolean());
            Assert.Equal(
                expected.Keys.Order(),
                json.RootElement.GetProperty("differences").EnumerateArray().Select(d => d.GetProperty("orderId").GetInt64()).Order());
        }

        (exit, output, error) = await TeamTablesFixture.RunAsync(VerifyCommand.Create(), "dimensions", "--config", fixture.ConfigPath, "--repair");
        Assert.True(exit == 0, output + error);
        Assert.Contains("8 difference(s), 8 repaired, 0 remaining", output, StringComparison.Ordinal);

        var again = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.True(again.Equal, Describe(again));
        Assert.Empty(again.Differences);
        (exit, output, error) = await TeamTablesFixture.RunAsync(VerifyCommand.Create(), "dimensions", "--config", fixture.ConfigPath);
        Assert.True(exit == 0, output + error);
        Assert.Contains("0 difference(s)", output, StringComparison.Ordinal);

        // The merchant copies hold the user side's values again; the extra order is gone; the user side kept its own changes.
        foreach (var i in new[] { 0, 1, 2, 3, 5, 6, 8 })
        {
            Assert.Equal(await MerchantViewAsync(ShardDimension.User, Id(i)), await MerchantViewAsync(ShardDimension.Merchant, Id(i)));
        }

        Assert.Equal("", await ScalarAsync<string>(ShardDimension.Merchant, Id(1), "SELECT buyer_note FROM {trade_orders} WHERE id = @OrderId"));
        Assert.Equal(0L, await ScalarAsync<long>(ShardDimension.Merchant, Id(4), "SELECT COUNT(*) FROM {trade_orders} WHERE id = @OrderId"));
        Assert.Equal(0L, await ScalarAsync<long>(ShardDimension.Merchant, Id(4), "SELECT COUNT(*) FROM {order_payments} WHERE order_id = @OrderId"));
        Assert.Equal("changed", await ScalarAsync<string>(ShardDimension.User, Id(7), "SELECT method FROM {order_payments} WHERE order_id = @OrderId AND payment_no = 1"));
        Assert.Equal(3L, await ScalarAsync<long>(ShardDimension.User, Id(7), "SELECT COUNT(*) FROM {order_audit} WHERE order_id = @OrderId"));
    }

    [Fact]
    public async Task VerifyWithRepairFixesAWrongVersionAndAnOrphanChildRowThroughTheApi()
    {
        using var store = new TwoDimensionOrderStore(_shards);
        var a = await store.CreateAsync(NewOrder(20));
        var b = await store.CreateAsync(NewOrder(21));
        var idA = (long)a["id"]!;
        var idB = (long)b["id"]!;

        // A merchant copy that claims a newer version (an ordinary copy could never overwrite it) and one with an extra payment.
        await ExecuteAsync(ShardDimension.Merchant, idA, "UPDATE {trade_orders} SET row_version = 99, state = 'done' WHERE id = @OrderId");
        await ExecuteAsync(ShardDimension.Merchant, idB, "UPDATE {order_payments} SET paid_at = NULL WHERE order_id = @OrderId AND payment_no = 1");

        var repaired = await new DimensionVerifier(_shards).VerifyAsync(repair: true);
        Assert.Equal([idA, idB], repaired.Differences.Select(d => d.OrderId).Order());
        Assert.All(repaired.Differences, d => Assert.True(d.Repaired));
        Assert.True(repaired.Equal);
        var versionA = repaired.Differences.Single(d => d.OrderId == idA);
        Assert.Equal((1L, 99L), (versionA.UserVersion, versionA.MerchantVersion));

        Assert.True((await new DimensionVerifier(_shards).VerifyAsync()).Equal);
        Assert.Equal(await MerchantViewAsync(ShardDimension.User, idA), await MerchantViewAsync(ShardDimension.Merchant, idA));
        Assert.Equal(await MerchantViewAsync(ShardDimension.User, idB), await MerchantViewAsync(ShardDimension.Merchant, idB));

        // The store keeps writing the repaired order as usual.
        var updated = await store.UpdateAsync(new OrderRow(new Dictionary<string, object?> { ["id"] = idA, ["buyer_id"] = a["buyer_id"], ["shop_id"] = a["shop_id"], ["state"] = "shipped" }));
        Assert.NotNull(updated);
        Assert.True((await new DimensionVerifier(_shards).VerifyAsync()).Equal);
        Assert.Equal("shipped", await ScalarAsync<string>(ShardDimension.Merchant, idA, "SELECT state FROM {trade_orders} WHERE id = @OrderId"));
    }

    /// <summary>An order with every kind of value: NULLs and empty strings, JSON, BLOB, ENUM, DATETIME(6), DOUBLE, two payments and an audit entry.</summary>
    private OrderRow NewOrder(int i)
    {
        var buyer = 7_100_000L + i;
        var shop = 7_200_000L + (i % 3);
        var id = _ids.Next(buyer, shop).Value;
        var created = s_start.AddMinutes(i).AddTicks(1230 * (i + 1));
        var values = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["buyer_id"] = buyer,
            ["shop_id"] = shop,
            ["trade_no"] = "V" + id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["state"] = i % 2 == 0 ? "paid" : "created",
            ["goods_amount"] = 12.5m + i,
            ["freight"] = 5m,
            ["discount"] = i % 3 == 0 ? null : 1.25m,
            ["currency"] = "EUR",
            ["buyer_note"] = i % 2 == 1 ? "" : "leave at the door | ring twice",
            ["invoice_title"] = i % 4 == 0 ? null : "ACME GmbH",
            ["address"] = """{"city":"Zürich","zip":"8001"}""",
            ["attributes"] = i % 2 == 0 ? null : """{"tier":"gold"}""",
            ["signature"] = new byte[] { 0, 1, (byte)'|', 255, (byte)i },
            ["paid_at"] = i % 2 == 0 ? created.AddMinutes(3) : null,
            ["shipped_at"] = null,
            ["created_at"] = created,
            ["updated_at"] = created,
            ["channel"] = (byte)(i % 3),
            ["is_gift"] = i % 2 == 0,
            ["risk_score"] = i % 3 == 1 ? null : 0.125 * i,
        };
        var children = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>
        {
            ["order_payments"] =
            [
                new Dictionary<string, object?> { ["payment_no"] = 1, ["method"] = "card", ["amount"] = 10m, ["paid_at"] = created.AddMinutes(1), ["gateway_raw"] = """{"ok":true}""" },
                new Dictionary<string, object?> { ["payment_no"] = 2, ["method"] = "voucher", ["amount"] = 7.5m + i, ["paid_at"] = null, ["gateway_raw"] = null },
            ],
            ["order_audit"] =
            [
                new Dictionary<string, object?> { ["seq"] = 1, ["actor"] = "buyer", ["action"] = "create", ["at"] = created },
                new Dictionary<string, object?> { ["seq"] = 2, ["actor"] = "system", ["action"] = "risk-check", ["at"] = created.AddSeconds(1) },
            ],
        };
        return new OrderRow(values, children);
    }

    /// <summary>What the merchant copy keeps of an order, read plainly from one side: the root's non-generated columns and the payments' projection.</summary>
    private async Task<string> MerchantViewAsync(ShardDimension dimension, long orderId)
    {
        const string Root = "id, buyer_id, shop_id, row_version, trade_no, state, goods_amount, freight, discount, currency, buyer_note, invoice_title, address, attributes, " +
            "HEX(signature), paid_at, shipped_at, created_at, updated_at, channel, is_gift, risk_score";
        await using var shard = await _shards.OpenOrderShardAsync(OrderId.FromValidatedValue(orderId), dimension, ShardIntent.Write);
        var root = (await shard.Connection.QueryAsync(shard.Sql($"SELECT {Root} FROM {{trade_orders}} WHERE id = @orderId"), new { orderId }))
            .Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values.Select(v => v is null ? "NULL" : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        var payments = (await shard.Connection.QueryAsync<(int PaymentNo, decimal Amount, DateTime? PaidAt)>(
            shard.Sql("SELECT payment_no, amount, paid_at FROM {order_payments} WHERE order_id = @orderId ORDER BY payment_no"), new { orderId }))
            .Select(p => FormattableString.Invariant($"{p.PaymentNo}:{p.Amount}:{p.PaidAt:O}"));
        return string.Join(";", root) + " / " + string.Join(";", payments);
    }

    private async Task ExecuteAsync(ShardDimension dimension, long orderId, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(OrderId.FromValidatedValue(orderId), dimension, ShardIntent.Write);
        Assert.True(await shard.Connection.ExecuteAsync(shard.Sql(sql), new { OrderId = orderId }) > 0, sql);
    }

    private async Task<T> ScalarAsync<T>(ShardDimension dimension, long orderId, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(OrderId.FromValidatedValue(orderId), dimension, ShardIntent.Read);
        return await shard.Connection.ExecuteScalarAsync<T>(shard.Sql(sql), new { OrderId = orderId }) ?? throw new InvalidOperationException("no value: " + sql);
    }

    private static string Describe(DimensionVerifyResult result) =>
        string.Join("; ", result.Shards.Where(s => !s.Matches).Select(s => $"{s.Name}: user {s.UserCount}/{s.UserChecksum}, merchant {s.MerchantCount}/{s.MerchantChecksum} {s.Error}"))
        + " | " + string.Join("; ", result.Differences.Select(d => $"{d.OrderId} {d.Kind}"));
}
