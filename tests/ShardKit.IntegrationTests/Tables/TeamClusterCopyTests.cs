using System.Globalization;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// The migration's writer of source states (<see cref="ClusterCopyWriter"/>: backfill, drains, repairs) on a team's own
/// tables (<see cref="TeamSchema"/>: a root with its own key-column names and a generated column, <c>order_payments</c>
/// copied as a projection, <c>order_audit</c> on user shards only): live and deleted states reach both dimensions as the
/// model says, the version guard holds in both, a forced write and a removal repair anything, and
/// <see cref="DimensionVerifier"/> finds both dimensions equal afterwards.
/// </summary>
[Collection(nameof(TeamTablesCollection))]
public sealed class TeamClusterCopyTests(TeamTablesFixture fixture) : IAsyncLifetime
{
    private static readonly DateTime s_start = new(2026, 10, 3, 14, 0, 0, DateTimeKind.Unspecified);
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 61, ShardCount = TeamTablesFixture.ShardCount });
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync() => _shards = await fixture.OpenDataSourceAsync();

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task LiveThenDeletedStatesReachBothDimensionsAsTheModelKeepsThem()
    {
        var orders = Enumerable.Range(0, 8).Select(i => NewOrder(100 + i)).ToList();
        var writer = new ClusterCopyWriter(_shards);

        Assert.Equal(8, await writer.WriteAsync(orders.Select(o => o.State(1, "paid")).ToList(), CancellationToken.None));

        foreach (var order in orders)
        {
            Assert.Equal(order.State(1, "paid").Describe(), await UserViewAsync(order.Id));
            Assert.Equal(await MerchantViewAsync(ShardDimension.User, order.Id), await MerchantViewAsync(ShardDimension.Merchant, order.Id));
            Assert.Equal((1L, false), await VersionAsync(ShardDimension.User, order.Id));
            Assert.Equal((1L, false), await VersionAsync(ShardDimension.Merchant, order.Id));
        }

        // The generated column is the server's, on both sides (order 101: 12.50 + 3 goods, 5.00 freight, 1.25 discount).
        Assert.Equal(19.25m, await ScalarAsync<decimal>(ShardDimension.User, orders[1].Id, "SELECT total FROM {trade_orders} WHERE id = @OrderId"));
        Assert.Equal(19.25m, await ScalarAsync<decimal>(ShardDimension.Merchant, orders[1].Id, "SELECT total FROM {trade_orders} WHERE id = @OrderId"));
        await AssertEqualDimensionsAsync(orders);

        // Five deletions (one of an order no copy ever reached), a newer version of two others, in one chunk.
        var gone = new NewTeamOrder[] { orders[0], orders[2], orders[3], orders[5], NewOrder(120) };
        List<UserSideState> chunk = [.. gone.Select(o => o.Deleted(2)), orders[1].State(2, "shipped"), orders[4].State(3, "done")];
        Assert.Equal(7, await writer.WriteAsync(chunk, CancellationToken.None));

        foreach (var order in gone)
        {
            Assert.Equal("", await UserViewAsync(order.Id));
            Assert.Equal("", await MerchantViewAsync(ShardDimension.Merchant, order.Id));
            Assert.Equal((2L, true), await VersionAsync(ShardDimension.User, order.Id));
            Assert.Equal((2L, true), await VersionAsync(ShardDimension.Merchant, order.Id));
        }

        Assert.Equal(orders[1].State(2, "shipped").Describe(), await UserViewAsync(orders[1].Id));
        Assert.Equal(orders[4].State(3, "done").Describe(), await UserViewAsync(orders[4].Id));
        Assert.Equal((3L, false), await VersionAsync(ShardDimension.Merchant, orders[4].Id));
        foreach (var order in new[] { orders[1], orders[4], orders[6], orders[7] })
        {
            Assert.Equal(await MerchantViewAsync(ShardDimension.User, order.Id), await MerchantViewAsync(ShardDimension.Merchant, order.Id));
        }

        // The same chunk again (a drain stopped before it deleted its change rows): nothing wins, nothing changes.
        Assert.Equal(0, await writer.WriteAsync(chunk, CancellationToken.None));
        Assert.Equal((2L, true), await VersionAsync(ShardDimension.Merchant, orders[0].Id));
        await AssertEqualDimensionsAsync([.. orders, gone[^1]]);
    }

    [Fact]
    public async Task AnOlderStateNeverOverwritesANewerRowOrBringsBackATombstoneInEitherDimension()
    {
        var writer = new ClusterCopyWriter(_shards);
        var newer = NewOrder(200);
        var deleted = NewOrder(201);
        var kept = NewOrder(202);
        var twice = NewOrder(203);
        Assert.Equal(4, await writer.WriteAsync([newer.State(3, "done"), deleted.State(1, "paid"), kept.State(4, "shipped"), twice.State(1, "paid")], CancellationToken.None));
        Assert.Equal(2, await writer.WriteAsync([deleted.Deleted(2), twice.Deleted(5)], CancellationToken.None));

        // Older live states of every order, an older deletion of a live order, an older deletion of a deleted one.
        List<UserSideState> stale =
        [
            newer.State(2, "cancelled"),
            newer.State(3, "cancelled"),  // the same version: loses although its content differs
            deleted.State(1, "paid"),
            deleted.State(2, "cancelled"), // at the tombstone's version
            kept.Deleted(3),              // a deletion older than the row
            twice.Deleted(4),             // a deletion older than the tombstone
        ];
        foreach (var state in stale)
        {
            Assert.Equal(0, await writer.WriteAsync([state], CancellationToken.None));
        }

        Assert.Equal(newer.State(3, "done").Describe(), await UserViewAsync(newer.Id));
        Assert.Equal(kept.State(4, "shipped").Describe(), await UserViewAsync(kept.Id));
        foreach (var (order, version) in new[] { (newer, 3L), (kept, 4L) })
        {
            Assert.Equal((version, false), await VersionAsync(ShardDimension.User, order.Id));
            Assert.Equal((version, false), await VersionAsync(ShardDimension.Merchant, order.Id));
            Assert.Equal(await MerchantViewAsync(ShardDimension.User, order.Id), await MerchantViewAsync(ShardDimension.Merchant, order.Id));
        }

        foreach (var (order, version) in new[] { (deleted, 2L), (twice, 5L) })
        {
            Assert.Equal("", await UserViewAsync(order.Id));
            Assert.Equal("", await MerchantViewAsync(ShardDimension.Merchant, order.Id));
            Assert.Equal((version, true), await VersionAsync(ShardDimension.User, order.Id));
            Assert.Equal((version, true), await VersionAsync(ShardDimension.Merchant, order.Id));
        }

        // A merchant tombstone the user side has not got (the merchant dimension deleted first): a live copy, however new,
        // wins on the user side and never brings the merchant copy back.
        var hidden = NewOrder(204);
        await ExecuteAsync(ShardDimension.Merchant, hidden.Id,
            "INSERT INTO {schema}.`shardkit_tombstones` (order_id, user_id, merchant_id, created_at, deleted_at, version) VALUES (@OrderId, 1, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1)");
        Assert.Equal(1, await writer.WriteAsync([hidden.State(7, "paid")], CancellationToken.None));
        Assert.Equal((7L, false), await VersionAsync(ShardDimension.User, hidden.Id));
        Assert.Equal("", await MerchantViewAsync(ShardDimension.Merchant, hidden.Id));
        Assert.Equal((1L, true), await VersionAsync(ShardDimension.Merchant, hidden.Id));

        // ... until its deletion arrives: then both dimensions agree again.
        Assert.Equal(1, await writer.WriteAsync([hidden.Deleted(8)], CancellationToken.None));
        Assert.Equal((8L, true), await VersionAsync(ShardDimension.User, hidden.Id));
        Assert.Equal((8L, true), await VersionAsync(ShardDimension.Merchant, hidden.Id));
        await AssertEqualDimensionsAsync([newer, deleted, kept, twice, hidden]);
    }

    [Fact]
    public async Task AForcedWriteAndARemovalRepairWhateverEitherDimensionHolds()
    {
        var writer = new ClusterCopyWriter(_shards);
        var ahead = NewOrder(300);      // both dimensions at a newer version than the source
        var resurrected = NewOrder(301); // deleted on the target, live on the source
        var corrupted = NewOrder(302);  // the merchant copy claims a version it never had
        var deleted = NewOrder(303);    // live on the target, deleted on the source at an older version
        var extra = NewOrder(304);      // on the target only
        var extraDeleted = NewOrder(305); // a user tombstone whose merchant tombstone is missing
        Assert.Equal(6, await writer.WriteAsync(
            [ahead.State(5, "done"), resurrected.State(1, "paid"), corrupted.State(1, "paid"), deleted.State(4, "shipped"), extra.State(1, "paid"), extraDeleted.State(1, "paid")],
            CancellationToken.None));
        Assert.Equal(2, await writer.WriteAsync([resurrected.Deleted(3), extraDeleted.Deleted(2)], CancellationToken.None));
        await ExecuteAsync(ShardDimension.Merchant, corrupted.Id, "UPDATE {trade_orders} SET row_version = 99, state = 'cancelled' WHERE id = @OrderId");
        await ExecuteAsync(ShardDimension.Merchant, extraDeleted.Id, "DELETE FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId");

        List<UserSideState> source = [ahead.State(2, "created"), resurrected.State(2, "created"), corrupted.State(1, "paid"), deleted.Deleted(3)];
        Assert.Equal(0, await writer.WriteAsync(source, CancellationToken.None));
        Assert.Equal((5L, false), await VersionAsync(ShardDimension.Merchant, ahead.Id));
        Assert.Equal((3L, true), await VersionAsync(ShardDimension.Merchant, resurrected.Id));
        Assert.Equal((99L, false), await VersionAsync(ShardDimension.Merchant, corrupted.Id));
        Assert.Equal((4L, false), await VersionAsync(ShardDimension.Merchant, deleted.Id));
        Assert.Equal(4, await writer.WriteAsync(source, force: true, CancellationToken.None));

        foreach (var (order, state) in new[] { (ahead, source[0]), (resurrected, source[1]), (corrupted, source[2]) })
        {
            Assert.Equal(state.Describe(), await UserViewAsync(order.Id));
            Assert.Equal(await MerchantViewAsync(ShardDimension.User, order.Id), await MerchantViewAsync(ShardDimension.Merchant, order.Id));
            Assert.Equal((state.Version, false), await VersionAsync(ShardDimension.User, order.Id));
            Assert.Equal((state.Version, false), await VersionAsync(ShardDimension.Merchant, order.Id));
        }

        Assert.Equal("", await UserViewAsync(deleted.Id));
        Assert.Equal("", await MerchantViewAsync(ShardDimension.Merchant, deleted.Id));
        Assert.Equal((3L, true), await VersionAsync(ShardDimension.User, deleted.Id));
        Assert.Equal((3L, true), await VersionAsync(ShardDimension.Merchant, deleted.Id));

        // Orders the source has no trace of: their rows go from every table of both dimensions; a user tombstone stays and
        // the merchant copy follows it.
        await writer.RemoveAsync([extra.Id, extraDeleted.Id], CancellationToken.None);
        Assert.Equal("", await UserViewAsync(extra.Id));
        Assert.Equal("", await MerchantViewAsync(ShardDimension.Merchant, extra.Id));
        Assert.Equal((0L, false), await VersionAsync(ShardDimension.User, extra.Id));
        Assert.Equal((0L, false), await VersionAsync(ShardDimension.Merchant, extra.Id));
        Assert.Equal((2L, true), await VersionAsync(ShardDimension.User, extraDeleted.Id));
        Assert.Equal((2L, true), await VersionAsync(ShardDimension.Merchant, extraDeleted.Id));
        NewTeamOrder[] all = [ahead, resurrected, corrupted, deleted, extra, extraDeleted];
        await AssertEqualDimensionsAsync(all);

        // A removed order can be written again from a later source state (a removal leaves no tombstone behind).
        Assert.Equal(1, await writer.WriteAsync([extra.State(1, "paid")], CancellationToken.None));
        Assert.Equal((1L, false), await VersionAsync(ShardDimension.Merchant, extra.Id));
        await AssertEqualDimensionsAsync(all);
    }

    /// <summary>
    /// <see cref="DimensionVerifier"/> over the whole fixture finds no difference in <paramref name="orders"/> (the other
    /// tests of the collection have their own orders: a difference they left must not fail this test) and reaches every shard.
    /// </summary>
    private async Task AssertEqualDimensionsAsync(IEnumerable<NewTeamOrder> orders)
    {
        var ids = orders.Select(o => o.Id.Value).ToHashSet();
        var result = await new DimensionVerifier(_shards).VerifyAsync();
        Assert.All(result.Shards, s => Assert.Null(s.Error));
        Assert.Empty(result.Differences.Where(d => ids.Contains(d.OrderId)).Select(d => $"{d.OrderId} {d.Kind} user v{d.UserVersion} merchant v{d.MerchantVersion}"));
    }

    private NewTeamOrder NewOrder(int i)
    {
        var buyer = 8_300_000L + i;
        var shop = 8_400_000L + (i % 5);
        return new NewTeamOrder(_shards.Map.Tables, _ids.Next(buyer, shop), buyer, shop, s_start.AddMinutes(i).AddTicks(4560 * (i + 1)), i);
    }

    /// <summary>Every column and child row of an order on its user shard, read plainly (empty when it has no rows).</summary>
    private async Task<string> UserViewAsync(OrderId id)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, ShardDimension.User, ShardIntent.Write);
        var root = await RowsAsync(shard, "SELECT " + NewTeamOrder.RootColumns.Replace("signature", "HEX(signature)", StringComparison.Ordinal) + " FROM {trade_orders} WHERE id = @OrderId", id);
        var payments = await RowsAsync(shard, "SELECT " + NewTeamOrder.PaymentColumns + " FROM {order_payments} WHERE order_id = @OrderId ORDER BY payment_no", id);
        var audit = await RowsAsync(shard, "SELECT " + NewTeamOrder.AuditColumns + " FROM {order_audit} WHERE order_id = @OrderId ORDER BY seq", id);
        return root.Length + payments.Length + audit.Length == 0 ? "" : $"{root} / {payments} / {audit}";
    }

    /// <summary>What the merchant copy keeps of an order, read plainly from one side (empty when it has no rows there).</summary>
    private async Task<string> MerchantViewAsync(ShardDimension dimension, OrderId id)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, dimension, ShardIntent.Write);
        var root = await RowsAsync(shard, "SELECT " + NewTeamOrder.RootColumns.Replace("signature", "HEX(signature)", StringComparison.Ordinal) + " FROM {trade_orders} WHERE id = @OrderId", id);
        var payments = await RowsAsync(shard, "SELECT order_id, payment_no, amount, paid_at FROM {order_payments} WHERE order_id = @OrderId ORDER BY payment_no", id);
        return root.Length + payments.Length == 0 ? "" : $"{root} / {payments}";
    }

    private static async Task<string> RowsAsync(ShardConnection shard, string sql, OrderId id) =>
        string.Join(";", (await shard.Connection.QueryAsync(shard.Sql(sql), new { OrderId = id.Value }))
            .Select(r => string.Join("|", ((IDictionary<string, object?>)r).Values.Select(NewTeamOrder.Text))));

    /// <summary>The order's version on one side: its tombstone's (deleted) or its root row's; (0, false) when it has neither. Never both.</summary>
    private async Task<(long Version, bool Deleted)> VersionAsync(ShardDimension dimension, OrderId id)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, dimension, ShardIntent.Write);
        var (row, tombstone) = await shard.Connection.QuerySingleAsync<(long?, long?)>(shard.Sql(
            "SELECT (SELECT row_version FROM {trade_orders} WHERE id = @OrderId), (SELECT version FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId)"), new { OrderId = id.Value });
        Assert.False(row is not null && tombstone is not null, $"order {id} has both a {dimension} row (v{row}) and a tombstone (v{tombstone})");
        return tombstone is { } dead ? (dead, true) : (row ?? 0, false);
    }

    private async Task ExecuteAsync(ShardDimension dimension, OrderId id, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, dimension, ShardIntent.Write);
        Assert.True(await shard.Connection.ExecuteAsync(shard.Sql(sql), new { OrderId = id.Value }) > 0, sql);
    }

    private async Task<T> ScalarAsync<T>(ShardDimension dimension, OrderId id, string sql)
    {
        await using var shard = await _shards.OpenOrderShardAsync(id, dimension, ShardIntent.Write);
        return await shard.Connection.ExecuteScalarAsync<T>(shard.Sql(sql), new { OrderId = id.Value }) ?? throw new InvalidOperationException("no value: " + sql);
    }
}

/// <summary>
/// An order of <see cref="TeamSchema"/>'s tables as a source hands it to the writer: its states at any version (the content
/// depends on the version and a status, so two versions differ), or its deletion.
/// </summary>
internal sealed record NewTeamOrder(TableModel Model, OrderId Id, long Buyer, long Shop, DateTime Created, int Seed)
{
    public const string RootColumns = "id, buyer_id, shop_id, row_version, trade_no, state, goods_amount, freight, discount, currency, buyer_note, invoice_title, " +
        "address, attributes, signature, paid_at, shipped_at, created_at, updated_at, channel, is_gift, risk_score";

    public const string PaymentColumns = "order_id, payment_no, method, amount, paid_at, gateway_raw";
    public const string AuditColumns = "order_id, seq, actor, action, at";

    /// <summary>The live order at <paramref name="version"/> in <paramref name="state"/>: 1 + version % 3 payments, version audit rows.</summary>
    public UserSideState State(long version, string state)
    {
        var updated = Created.AddMinutes(version);
        object?[] root =
        [
            Id.Value, Buyer, Shop, version, "C" + Id.Value.ToString(CultureInfo.InvariantCulture), state, 12.5m + Seed % 7, 5m, Seed % 2 == 0 ? null : 1.25m, "EUR",
            version % 2 == 0 ? "" : "ring twice | v" + version.ToString(CultureInfo.InvariantCulture), Seed % 3 == 0 ? null : "ACME GmbH",
            """{"city":"Zürich","zip":"8001"}""", version % 2 == 0 ? null : """{"tier":"gold"}""", new byte[] { 0, (byte)'|', 255, (byte)version },
            version > 1 ? updated : null, null, Created, updated, (byte)(version % 3), version % 2 == 0, Seed % 3 == 1 ? null : 0.125 * version,
        ];
        var payments = Enumerable.Range(1, 1 + (int)(version % 3))
            .Select(n => new object?[] { Id.Value, n, n == 1 ? "card" : "voucher", 10m * n + version, n == 1 ? updated : null, n == 1 ? """{"ok":true}""" : null })
            .ToList();
        var audit = Enumerable.Range(1, (int)version)
            .Select(n => new object?[] { Id.Value, n, n == 1 ? "buyer" : "system", "step-" + n.ToString(CultureInfo.InvariantCulture), Created.AddSeconds(n) })
            .ToList();
        var children = Model.Children.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        return new UserSideState(Id, Buyer, Shop, version,
            new TableRows(Model.Root, Split(RootColumns), [root]),
            [new TableRows(children["order_payments"], Split(PaymentColumns), payments), new TableRows(children["order_audit"], Split(AuditColumns), audit)]);
    }

    /// <summary>The order deleted at <paramref name="version"/>.</summary>
    public UserSideState Deleted(long version) => new(new Tombstone(Id.Value, Buyer, Shop, Created, Created.AddMinutes(version), version));

    /// <summary>A value as the views print it (bytes in hex, times to the microsecond).</summary>
    public static string Text(object? value) => value switch
    {
        null => "NULL",
        byte[] bytes => Convert.ToHexString(bytes),
        DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        bool flag => flag ? "1" : "0",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static string[] Split(string columns) => columns.Split(", ");
}

internal static class TeamStateText
{
    /// <summary>A live state as <see cref="TeamClusterCopyTests"/>' user view prints it: root / payments / audit.</summary>
    public static string Describe(this UserSideState state) =>
        string.Join(" / ", new[] { state.Root! }.Concat(state.Children).Select(rows => string.Join(";", rows.Rows.Select(row => string.Join("|", row.Select(Describe))))));

    private static string Describe(object? value) => value switch
    {
        decimal d => d.ToString("0.00", CultureInfo.InvariantCulture),
        _ => NewTeamOrder.Text(value),
    };
}
