using Dapper;
using OrderService.Storage;
using ShardKit;
using ShardKit.AlternateKeys;
using ShardKit.Ids;
using ShardKit.Orders;
using ShardKit.Replication;
using ShardKit.Routing;

namespace OrderService;

/// <summary>
/// The sample's orders, through ShardKit's <see cref="TwoDimensionOrderStore"/>: an order and its items are written in
/// one transaction on the buyer's user shard (the truth) and copied to the merchant's shard right after (the outbox relay
/// retries what could not be copied). Orders are read back by order ID (routed by the shard gene inside the ID, no lookup),
/// by external trade number (through the alternate-key mapping), listed per user from the user shard, and listed per
/// merchant from the merchant copy with keyset paging.
/// </summary>
public sealed class OrderStore
{
    /// <summary>The alternate-key kind of the external trade numbers orders may be created with.</summary>
    public const string TradeNoKind = "trade-no";

    private const string StatusCreated = "created";

    private const string OrderColumns =
        "order_id AS OrderId, user_id AS UserId, merchant_id AS MerchantId, status AS Status, currency AS Currency, " +
        "total_amount AS TotalAmount, created_at AS CreatedAt";

    private const string ItemColumns = "order_id AS OrderId, line_no AS LineNo, sku AS Sku, quantity AS Quantity, unit_price AS UnitPrice";

    private const string SelectUserOrdersSql =
        "SELECT " + OrderColumns + " FROM {orders} WHERE user_id = @UserId ORDER BY created_at DESC, order_id DESC LIMIT @Limit";

    private const string SelectItemsOfOrdersSql = "SELECT " + ItemColumns + " FROM {order_items} WHERE order_id IN @OrderIds ORDER BY order_id, line_no";

    private readonly TwoDimensionOrderStore _orders;
    private readonly AlternateKeyStore _keys;
    private readonly OrderIdGenerator _ids;

    /// <summary>Creates the store.</summary>
    /// <param name="orders">The two-dimension order store; it must have an <see cref="AlternateKeyStore"/> (trade numbers).</param>
    /// <param name="ids">The order ID generator of this instance (its worker ID is unique among live instances).</param>
    /// <exception cref="ArgumentException">The generator computes genes for a shard count the map does not have, or the order store has no alternate-key store.</exception>
    public OrderStore(TwoDimensionOrderStore orders, OrderIdGenerator ids)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(ids);
        var map = orders.DataSource.Map;
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
    }

    /// <summary>Decodes a number as an order ID of this estate.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    public OrderId ParseOrderId(long value) => OrderId.Parse(value, _ids.ShardCount);

    /// <summary>
    /// Creates an order and its items on the user's shard and its merchant copy; with a trade number, the number is
    /// claimed first, so <see cref="FindByTradeNoAsync"/> finds the order as soon as it exists.
    /// </summary>
    /// <param name="request">The order; see <see cref="CreateOrderRequest.Validate"/>.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The new order as stored, with the causal token of its write (<see cref="OrderRecord.CausalToken"/>).</returns>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the trade number belongs to another order.</exception>
    public async Task<OrderRecord> CreateAsync(CreateOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The order is not valid: " + string.Join(" ", errors.Values.SelectMany(e => e)), nameof(request));
        }

        var items = request.Items!
            .Select((item, index) => new OrderLine { LineNo = index + 1, Sku = item.Sku!, Quantity = item.Quantity, UnitPrice = item.UnitPrice })
            .ToList();
        var order = new OrderRecord
        {
            Id = _ids.Next(request.UserId, request.MerchantId),
            UserId = request.UserId,
            MerchantId = request.MerchantId,
            Status = StatusCreated,
            TotalAmount = items.Sum(i => i.Quantity * i.UnitPrice),
            Currency = request.Currency ?? CreateOrderRequest.DefaultCurrency,
            Items = items,
        };

        var created = request.TradeNo is { } tradeNo
            ? await _orders.CreateAsync(order, [new AlternateKey(TradeNoKind, tradeNo)], cancellationToken)
            : await _orders.CreateAsync(order, cancellationToken);
        return created;
    }

    /// <summary>
    /// Reads an order and its items from the user shard named by the order ID's gene, on a replica when one is fresh enough:
    /// with the causal token of the client's own write, only one that has applied it (else the primary), so a client always
    /// reads the order it has just created; without one, a replica within the configured lag limit.
    /// </summary>
    /// <returns>The order, or <see langword="null"/> when there is none with that ID.</returns>
    public async Task<Order?> GetAsync(OrderId orderId, CausalToken? causalToken, CancellationToken cancellationToken = default) =>
        await _orders.GetAsync(orderId, new ReadOptions { CausalToken = causalToken }, cancellationToken) is { } order ? ToOrder(order) : null;

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
        var order = await _orders.GetAsync(orderId, cancellationToken);
        return order is null ? new TradeNoLookup(null, orderId.Value) : new TradeNoLookup(ToOrder(order), null);
    }

    /// <summary>Lists a user's orders, newest first, with their items, from the user's shard (on its primary).</summary>
    /// <param name="userId">The user (positive).</param>
    /// <param name="limit">The most orders to return (positive).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> or <paramref name="limit"/> is not positive.</exception>
    public async Task<IReadOnlyList<Order>> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var shard = await _orders.DataSource.OpenUserShardAsync(userId, ReadPreference.Primary, cancellationToken: cancellationToken);
        var orders = (await shard.Connection.QueryAsync<OrderService.Storage.OrderRow>(
            new CommandDefinition(shard.Sql(SelectUserOrdersSql), new { UserId = userId, Limit = limit }, cancellationToken: cancellationToken))).AsList();
        if (orders.Count == 0)
        {
            return [];
        }

        var items = (await shard.Connection.QueryAsync<OrderItemRow>(
            new CommandDefinition(shard.Sql(SelectItemsOfOrdersSql), new { OrderIds = orders.Select(o => o.OrderId).ToList() }, cancellationToken: cancellationToken)))
            .ToLookup(i => i.OrderId);
        return orders.Select(o => new Order(
            o.OrderId,
            o.UserId,
            o.MerchantId,
            o.Status,
            o.Currency,
            o.TotalAmount,
            DateTime.SpecifyKind(o.CreatedAt, DateTimeKind.Utc),
            items[o.OrderId].Select(i => new OrderItem(i.LineNo, i.Sku, i.Quantity, i.UnitPrice)).ToList())).ToList();
    }

    /// <summary>Lists one page of a merchant's orders, newest first, from the merchant copy.</summary>
    /// <param name="merchantId">The merchant (positive).</param>
    /// <param name="limit">Orders per page (positive, at most <see cref="TwoDimensionOrderStore.MaxPageSize"/>).</param>
    /// <param name="after">The <see cref="MerchantOrdersPage.Next"/> of the previous page, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException"><paramref name="after"/> is not a cursor this service wrote.</exception>
    public async Task<MerchantOrdersPage> ListByMerchantAsync(long merchantId, int limit, string? after, CancellationToken cancellationToken = default)
    {
        MerchantOrderCursor? cursor = null;
        if (after is not null && !MerchantCursor.TryParse(after, _ids.ShardCount, out cursor))
        {
            throw new ArgumentException($"'{after}' is not a page cursor of this service; pass the 'next' of the previous page.", nameof(after));
        }

        var page = await _orders.ListMerchantOrdersAsync(merchantId, limit, cursor, cancellationToken);
        return new MerchantOrdersPage(page.Orders.Select(ToOrder).ToList(), page.Next is { } next ? MerchantCursor.Format(next) : null);
    }

    private static Order ToOrder(OrderRecord order) => new(
        order.Id.Value,
        order.UserId,
        order.MerchantId,
        order.Status,
        order.Currency,
        order.TotalAmount,
        order.CreatedAt.UtcDateTime,
        order.Items.Select(i => new OrderItem(i.LineNo, i.Sku, i.Quantity, i.UnitPrice)).ToList());
}
