using System.Text.Json;
using Dapper;
using OrderService.Storage;
using ShardKit;
using ShardKit.AlternateKeys;
using ShardKit.Connections;
using ShardKit.Ids;
using ShardKit.Orders;
using ShardKit.Replication;
using ShardKit.Routing;
using ShardKit.Tables;

namespace OrderService;

/// <summary>
/// The sample's orders, in its own tables (<see cref="ShopTables"/>: <c>shop_orders</c>, <c>shop_order_lines</c> copied to
/// the merchant shards, <c>shop_order_notes</c> kept on user shards only), through ShardKit's <see cref="TwoDimensionOrderStore"/>:
/// an order and its rows are written in one transaction on the buyer's user shard (the truth) and copied to the
/// merchant's shard right after (the outbox relay retries what could not be copied). Orders are read back by order ID
/// (routed by the shard gene inside the ID, no lookup), by external trade number (through the alternate-key mapping),
/// listed per user from the user shard, and listed per merchant from the merchant copy with keyset paging.
/// </summary>
public sealed class OrderStore
{
    /// <summary>The alternate-key kind of the external trade numbers orders may be created with.</summary>
    public const string TradeNoKind = "trade-no";

    private const string SelectUserOrdersSql =
        "SELECT * FROM {shop_orders} WHERE buyer_id = @UserId ORDER BY created_at DESC, id DESC LIMIT @Limit";

    private const string SelectMerchantFirstPageSql =
        "SELECT * FROM {shop_orders} WHERE shop_id = @MerchantId ORDER BY created_at DESC, id DESC LIMIT @Limit";

    private const string SelectMerchantNextPageSql = """
        SELECT * FROM {shop_orders} WHERE shop_id = @MerchantId
          AND (created_at < @CreatedAt OR (created_at = @CreatedAt AND id < @OrderId))
        ORDER BY created_at DESC, id DESC LIMIT @Limit
        """;

    private const string SelectLinesOfOrdersSql = "SELECT * FROM {shop_order_lines} WHERE order_id IN @OrderIds ORDER BY order_id, line_no";

    private const string SelectNotesOfOrdersSql = "SELECT * FROM {shop_order_notes} WHERE order_id IN @OrderIds ORDER BY order_id, note_no";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly TwoDimensionOrderStore _orders;
    private readonly AlternateKeyStore _keys;
    private readonly OrderIdGenerator _ids;
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="orders">
    /// The two-dimension order store, on a data source that declares the sample's tables (<c>ShardKit:Tables</c> in
    /// appsettings.json); it must have an <see cref="AlternateKeyStore"/> (trade numbers).
    /// </param>
    /// <param name="ids">The order ID generator of this instance (its worker ID is unique among live instances).</param>
    /// <param name="time">The clock of <c>created_at</c> and <c>updated_at</c>; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">
    /// The data source does not declare the sample's tables, the generator computes genes for a shard count the map does
    /// not have, or the order store has no alternate-key store.
    /// </exception>
    public OrderStore(TwoDimensionOrderStore orders, OrderIdGenerator ids, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(ids);
        var map = orders.DataSource.Map;
        var tables = map.Tables;
        if (!tables.IsDeclared || tables.Root.Name != ShopTables.Orders
            || tables.Find(ShopTables.Lines) is not { Role: TableRole.Child, MerchantCopy: MerchantCopy.All }
            || tables.Find(ShopTables.Notes) is not { Role: TableRole.Child, MerchantCopy: MerchantCopy.None })
        {
            throw new ArgumentException(
                $"The data source declares the tables {string.Join(", ", tables.Tables.Select(t => t.Name))} ({(tables.IsDeclared ? "declared" : "built-in")}); " +
                $"the sample needs its own: root {ShopTables.Orders}, children {ShopTables.Lines} (copied) and {ShopTables.Notes} (MerchantCopy None), as in its appsettings.json (ShardKit:Tables).",
                nameof(orders));
        }

        var userShards = map.GetShardCount(ShardDimension.User);
        var merchantShards = map.GetShardCount(ShardDimension.Merchant);
        if (ids.ShardCount != userShards || ids.ShardCount != merchantShards)
        {
            throw new ArgumentException(
                $"The order ID generator computes genes for {ids.ShardCount} shards, but the map has {userShards} user and {merchantShards} merchant shards; set ShardKit:OrderIds:ShardCount to match.",
                nameof(ids));
        }

        _orders = orders;
        _keys = orders.AlternateKeys ?? throw new ArgumentException("The order store has no AlternateKeyStore; register AddAlternateKeyStore.", nameof(orders));
        _ids = ids;
        _time = time ?? TimeProvider.System;
        ShopTables.MapRows();
    }

    /// <summary>Decodes a number as an order ID of this estate.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    public OrderId ParseOrderId(long value) => OrderId.Parse(value, _ids.ShardCount);

    /// <summary>
    /// Creates an order with its lines (and the buyer's note) on the user's shard and its merchant copy (the order and its
    /// lines); with a trade number, the number is claimed first, so <see cref="FindByTradeNoAsync"/> finds the order as
    /// soon as it exists.
    /// </summary>
    /// <param name="request">The order; see <see cref="CreateOrderRequest.Validate"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The new order's ID and the causal token of its write.</returns>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the trade number belongs to another order.</exception>
    public async Task<(OrderId Id, CausalToken? CausalToken)> CreateAsync(CreateOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The order is not valid: " + string.Join(" ", errors.Values.SelectMany(e => e)), nameof(request));
        }

        var now = Now();
        var id = _ids.Next(request.UserId, request.MerchantId);
        var lines = request.Items!
            .Select((item, index) => new ShopOrderLineRow { LineNo = index + 1, Sku = item.Sku!, Quantity = item.Quantity, UnitPrice = item.UnitPrice })
            .ToList();
        var order = new ShopOrderRow
        {
            Id = id.Value,
            BuyerId = request.UserId,
            ShopId = request.MerchantId,
            State = OrderStates.Created,
            Currency = request.Currency ?? CreateOrderRequest.DefaultCurrency,
            Total = lines.Sum(l => l.Quantity * l.UnitPrice),
            TradeNo = request.TradeNo,
            ShippingAddress = request.ShippingAddress is { } address ? JsonSerializer.Serialize(address, s_json) : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        IEnumerable<object> notes = request.Note is { } note ? [new ShopOrderNoteRow { NoteNo = 1, Body = note, WrittenAt = now }] : [];
        var row = OrderRow.FromObject(order, new Dictionary<string, IEnumerable<object>> { [ShopTables.Lines] = lines, [ShopTables.Notes] = notes });

        var created = request.TradeNo is { } tradeNo
            ? await _orders.CreateAsync(row, [new AlternateKey(TradeNoKind, tradeNo)], cancellationToken)
            : await _orders.CreateAsync(row, cancellationToken);
        return (id, created.CausalToken);
    }

    /// <summary>
    /// Reads an order with its lines and notes from the user shard named by the order ID's gene, on a replica when one is
    /// fresh enough: with the causal token of the client's own write, only one that has applied it (else the primary), so a
    /// client always reads the order it has just written; without one, a replica within the configured lag limit.
    /// </summary>
    /// <returns>The order, or <see langword="null"/> when there is none with that ID.</returns>
    public Task<Order?> GetAsync(OrderId orderId, CausalToken? causalToken, CancellationToken cancellationToken = default) =>
        ReadAsync(orderId, new ReadOptions { CausalToken = causalToken }, cancellationToken);

    /// <summary>
    /// Changes an order's state and/or shipping address, raising its revision; its merchant copy follows. Its lines and
    /// notes stay as they are.
    /// </summary>
    /// <param name="orderId">The order.</param>
    /// <param name="request">What to change; see <see cref="UpdateOrderRequest.Validate"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The order as stored after the change with the causal token of the write, or <see langword="null"/> when there is no such order.</returns>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    public async Task<(Order Order, CausalToken? CausalToken)?> UpdateAsync(OrderId orderId, UpdateOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The change is not valid: " + string.Join(" ", errors.Values.SelectMany(e => e)), nameof(request));
        }

        // The key columns name the order in an update: the buyer and the shop come from the stored row (on the primary).
        if (await _orders.GetAsync<ShopOrderRow>(orderId, read: null, cancellationToken) is not { } current)
        {
            return null;
        }

        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase)
        {
            ["id"] = current.Id,
            ["buyer_id"] = current.BuyerId,
            ["shop_id"] = current.ShopId,
            ["updated_at"] = Now(),
        };
        if (request.State is { } state)
        {
            values["state"] = state;
        }

        if (request.ShippingAddress is { } address)
        {
            values["shipping_address"] = JsonSerializer.Serialize(address, s_json);
        }

        // No child table named: the lines and notes keep their rows.
        if (await _orders.UpdateAsync(new OrderRow(values), cancellationToken) is not { } updated)
        {
            return null;   // deleted in between
        }

        var order = await ReadAsync(orderId, new ReadOptions { Preference = ReadPreference.Primary }, cancellationToken);
        return order is null ? null : (order, updated.CausalToken);
    }

    /// <summary>
    /// Deletes an order with its lines and notes, and its merchant copy; the trade number it was created with is released.
    /// </summary>
    /// <returns><see langword="true"/> if the order existed and was deleted.</returns>
    public Task<bool> DeleteAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        _orders.DeleteAsync(orderId, cancellationToken);

    /// <summary>Finds the order created with an external trade number, through its alternate-key mapping.</summary>
    /// <param name="tradeNo">The trade number.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The lookup result: the order, or none, or a dangling mapping (its order is not there).</returns>
    /// <exception cref="ArgumentException">The trade number cannot be an alternate key (see <see cref="AlternateKey"/>).</exception>
    public async Task<TradeNoLookup> FindByTradeNoAsync(string tradeNo, CancellationToken cancellationToken = default)
    {
        var found = await _keys.LookupAsync(new AlternateKey(TradeNoKind, tradeNo), cancellationToken);
        if (found?.Target.OrderId is not { } orderId)
        {
            // Not mapped, or mapped to a user only: no order has this number.
            return new TradeNoLookup(null, null);
        }

        if (found.IsDangling)
        {
            return new TradeNoLookup(null, orderId.Value);
        }

        // The order can still disappear between the two reads; the caller sees that as a dangling mapping too. The read
        // goes to the primary, as the dangling check did, so a lagging replica never makes the mapping look dangling.
        var order = await ReadAsync(orderId, new ReadOptions { Preference = ReadPreference.Primary }, cancellationToken);
        return order is null ? new TradeNoLookup(null, orderId.Value) : new TradeNoLookup(order, null);
    }

    /// <summary>Lists a user's orders, newest first, with their lines and notes, from the user's shard (on its primary).</summary>
    /// <param name="userId">The user (positive).</param>
    /// <param name="limit">The most orders to return (positive).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> or <paramref name="limit"/> is not positive.</exception>
    public async Task<IReadOnlyList<Order>> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var shard = await _orders.DataSource.OpenUserShardAsync(userId, ReadPreference.Primary, cancellationToken: cancellationToken);
        var orders = (await shard.Connection.QueryAsync<ShopOrderRow>(
            new CommandDefinition(shard.Sql(SelectUserOrdersSql), new { UserId = userId, Limit = limit }, cancellationToken: cancellationToken))).AsList();
        return await WithChildrenAsync(shard, orders, withNotes: true, cancellationToken);
    }

    /// <summary>
    /// Lists one page of a merchant's orders, newest first, with their lines, from the merchant copy: every order of a
    /// merchant is on the merchant shard its ID picks, so the page is one keyset query on one shard (on its primary).
    /// </summary>
    /// <param name="merchantId">The merchant (positive).</param>
    /// <param name="limit">Orders per page (positive).</param>
    /// <param name="after">The <see cref="MerchantOrdersPage.Next"/> of the previous page, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException"><paramref name="after"/> is not a cursor this service wrote.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> or <paramref name="limit"/> is not positive.</exception>
    public async Task<MerchantOrdersPage> ListByMerchantAsync(long merchantId, int limit, string? after, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(merchantId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        MerchantOrderCursor? cursor = null;
        if (after is not null && !MerchantCursor.TryParse(after, _ids.ShardCount, out cursor))
        {
            throw new ArgumentException($"'{after}' is not a page cursor of this service; pass the 'next' of the previous page.", nameof(after));
        }

        await using var shard = await _orders.DataSource.OpenMerchantShardAsync(merchantId, ReadPreference.Primary, cancellationToken: cancellationToken);

        // One row more than the page says whether there is a next page.
        var parameters = new { MerchantId = merchantId, Limit = limit + 1, CreatedAt = cursor?.CreatedAt.UtcDateTime, OrderId = cursor?.OrderId.Value };
        var rows = (await shard.Connection.QueryAsync<ShopOrderRow>(new CommandDefinition(
            shard.Sql(cursor is null ? SelectMerchantFirstPageSql : SelectMerchantNextPageSql), parameters, cancellationToken: cancellationToken))).AsList();
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(limit);
        }

        var orders = await WithChildrenAsync(shard, rows, withNotes: false, cancellationToken);
        var next = more
            ? MerchantCursor.Format(new MerchantOrderCursor(new DateTimeOffset(rows[^1].CreatedAt.Ticks, TimeSpan.Zero), OrderId.Parse(rows[^1].Id, _ids.ShardCount)))
            : null;
        return new MerchantOrdersPage(orders, next);
    }

    private async Task<Order?> ReadAsync(OrderId orderId, ReadOptions read, CancellationToken cancellationToken)
    {
        if (await _orders.GetAsync<ShopOrderRow>(orderId, read, cancellationToken) is not { } order)
        {
            return null;
        }

        var lines = await _orders.GetChildRowsAsync<ShopOrderLineRow>(orderId, ShopTables.Lines, read, cancellationToken);
        var notes = await _orders.GetChildRowsAsync<ShopOrderNoteRow>(orderId, ShopTables.Notes, read, cancellationToken);
        return ToOrder(order, lines.OrderBy(l => l.LineNo), notes.OrderBy(n => n.NoteNo));
    }

    private static async Task<IReadOnlyList<Order>> WithChildrenAsync(ShardConnection shard, List<ShopOrderRow> orders, bool withNotes, CancellationToken cancellationToken)
    {
        if (orders.Count == 0)
        {
            return [];
        }

        var ids = new { OrderIds = orders.Select(o => o.Id).ToList() };
        var lines = (await shard.Connection.QueryAsync<ShopOrderLineRow>(
            new CommandDefinition(shard.Sql(SelectLinesOfOrdersSql), ids, cancellationToken: cancellationToken))).ToLookup(l => l.OrderId);
        var notes = withNotes
            ? (await shard.Connection.QueryAsync<ShopOrderNoteRow>(
                new CommandDefinition(shard.Sql(SelectNotesOfOrdersSql), ids, cancellationToken: cancellationToken))).ToLookup(n => n.OrderId)
            : null;
        return orders.Select(o => ToOrder(o, lines[o.Id], notes?[o.Id])).ToList();
    }

    private static Order ToOrder(ShopOrderRow order, IEnumerable<ShopOrderLineRow> lines, IEnumerable<ShopOrderNoteRow>? notes) => new(
        order.Id,
        order.BuyerId,
        order.ShopId,
        order.State,
        order.Currency,
        order.Total,
        order.TradeNo,
        order.ShippingAddress is { } json ? JsonSerializer.Deserialize<ShippingAddress>(json, s_json) : null,
        DateTime.SpecifyKind(order.CreatedAt, DateTimeKind.Utc),
        DateTime.SpecifyKind(order.UpdatedAt, DateTimeKind.Utc),
        order.Revision,
        lines.Select(l => new OrderItem(l.LineNo, l.Sku, l.Quantity, l.UnitPrice)).ToList(),
        notes?.Select(n => new OrderNote(n.NoteNo, n.Body, DateTime.SpecifyKind(n.WrittenAt, DateTimeKind.Utc))).ToList());

    /// <summary>The current UTC time at the microsecond precision of the <c>DATETIME(6)</c> columns (so a cursor round-trips exactly).</summary>
    private DateTime Now()
    {
        var ticks = _time.GetUtcNow().UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }
}
