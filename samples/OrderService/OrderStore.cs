using Dapper;
using OrderService.Storage;
using ShardKit;

namespace OrderService;

/// <summary>
/// Orders on their user shard, through ShardKit: an order and its items are written in one transaction on the
/// buyer's user shard, read back by order ID (routed by the shard gene inside the ID, no lookup) or listed per user.
/// </summary>
public sealed class OrderStore
{
    private const string StatusCreated = "created";

    private const string InsertOrderSql =
        "INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at) " +
        "VALUES (@OrderId, @UserId, @MerchantId, @Status, @TotalAmount, @Currency, @CreatedAt, @CreatedAt)";

    private const string InsertItemSql =
        "INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES (@OrderId, @LineNo, @Sku, @Quantity, @UnitPrice)";

    private const string OrderColumns =
        "order_id AS OrderId, user_id AS UserId, merchant_id AS MerchantId, status AS Status, currency AS Currency, " +
        "total_amount AS TotalAmount, created_at AS CreatedAt";

    private const string ItemColumns = "order_id AS OrderId, line_no AS LineNo, sku AS Sku, quantity AS Quantity, unit_price AS UnitPrice";

    private const string SelectOrderSql = "SELECT " + OrderColumns + " FROM {orders} WHERE order_id = @OrderId";

    private const string SelectItemsSql = "SELECT " + ItemColumns + " FROM {order_items} WHERE order_id = @OrderId ORDER BY line_no";

    private const string SelectUserOrdersSql =
        "SELECT " + OrderColumns + " FROM {orders} WHERE user_id = @UserId ORDER BY created_at DESC, order_id DESC LIMIT @Limit";

    private const string SelectItemsOfOrdersSql = "SELECT " + ItemColumns + " FROM {order_items} WHERE order_id IN @OrderIds ORDER BY order_id, line_no";

    private readonly ShardKitDataSource _shards;
    private readonly OrderIdGenerator _ids;
    private readonly TimeProvider _time;

    /// <summary>Creates the store.</summary>
    /// <param name="shards">The routed data source.</param>
    /// <param name="ids">The order ID generator of this instance (its worker ID is unique among live instances).</param>
    /// <param name="timeProvider">The clock for <c>created_at</c>; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The generator computes genes for a shard count the map does not have.</exception>
    public OrderStore(ShardKitDataSource shards, OrderIdGenerator ids, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentNullException.ThrowIfNull(ids);
        var userShards = shards.Map.GetShardCount(ShardDimension.User);
        var merchantShards = shards.Map.GetShardCount(ShardDimension.Merchant);
        if (ids.ShardCount != userShards || ids.ShardCount != merchantShards)
        {
            throw new ArgumentException(
                $"The order ID generator computes genes for {ids.ShardCount} shards, but the map has {userShards} user and {merchantShards} merchant shards; set ShardKit:OrderIds:ShardCount to match.",
                nameof(ids));
        }

        _shards = shards;
        _ids = ids;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Decodes a number as an order ID of this estate.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    public OrderId ParseOrderId(long value) => OrderId.Parse(value, _ids.ShardCount);

    /// <summary>Creates an order and its items in one transaction on the user's shard.</summary>
    /// <param name="request">The order; see <see cref="CreateOrderRequest.Validate"/>.</param>
    /// <param name="cancellationToken">Cancels the work; nothing is committed then.</param>
    /// <returns>The new order's ID.</returns>
    /// <exception cref="ArgumentException">The request is not valid.</exception>
    public async Task<OrderId> CreateAsync(CreateOrderRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The order is not valid: " + string.Join(" ", errors.Values.SelectMany(e => e)), nameof(request));
        }

        var orderId = _ids.Next(request.UserId, request.MerchantId);
        var items = request.Items!
            .Select((item, index) => new OrderItemRow
            {
                OrderId = orderId.Value,
                LineNo = index + 1,
                Sku = item.Sku!,
                Quantity = item.Quantity,
                UnitPrice = item.UnitPrice,
            })
            .ToList();
        var now = _time.GetUtcNow().UtcDateTime;

        await using var shard = await _shards.OpenUserShardAsync(request.UserId, ShardIntent.Write, cancellationToken);
        await using var transaction = await shard.BeginTransactionAsync(cancellationToken);
        await shard.Connection.ExecuteAsync(new CommandDefinition(
            shard.Sql(InsertOrderSql),
            new
            {
                OrderId = orderId.Value,
                request.UserId,
                request.MerchantId,
                Status = StatusCreated,
                TotalAmount = items.Sum(i => i.Quantity * i.UnitPrice),
                Currency = request.Currency ?? CreateOrderRequest.DefaultCurrency,
                CreatedAt = now,
            },
            transaction.DbTransaction,
            cancellationToken: cancellationToken));
        await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(InsertItemSql), items, transaction.DbTransaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return orderId;
    }

    /// <summary>
    /// Reads an order and its items from the user shard named by the order ID's gene, on its primary: a client reads
    /// the order it has just created (a replica may not have it yet; see docs/read-write-splitting.md for causal tokens).
    /// </summary>
    /// <returns>The order, or <see langword="null"/> when there is none with that ID.</returns>
    public async Task<Order?> GetAsync(OrderId orderId, CancellationToken cancellationToken = default)
    {
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ReadPreference.Primary, cancellationToken: cancellationToken);
        var order = await shard.Connection.QuerySingleOrDefaultAsync<OrderRow>(
            new CommandDefinition(shard.Sql(SelectOrderSql), new { OrderId = orderId.Value }, cancellationToken: cancellationToken));
        if (order is null)
        {
            return null;
        }

        var items = await shard.Connection.QueryAsync<OrderItemRow>(
            new CommandDefinition(shard.Sql(SelectItemsSql), new { OrderId = orderId.Value }, cancellationToken: cancellationToken));
        return ToOrder(order, items);
    }

    /// <summary>Lists a user's orders, newest first, with their items, from the user's shard (on its primary, like <see cref="GetAsync"/>).</summary>
    /// <param name="userId">The user (positive).</param>
    /// <param name="limit">The most orders to return (positive).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> or <paramref name="limit"/> is not positive.</exception>
    public async Task<IReadOnlyList<Order>> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var shard = await _shards.OpenUserShardAsync(userId, ReadPreference.Primary, cancellationToken: cancellationToken);
        var orders = (await shard.Connection.QueryAsync<OrderRow>(
            new CommandDefinition(shard.Sql(SelectUserOrdersSql), new { UserId = userId, Limit = limit }, cancellationToken: cancellationToken))).AsList();
        if (orders.Count == 0)
        {
            return [];
        }

        var items = (await shard.Connection.QueryAsync<OrderItemRow>(
            new CommandDefinition(shard.Sql(SelectItemsOfOrdersSql), new { OrderIds = orders.Select(o => o.OrderId).ToList() }, cancellationToken: cancellationToken)))
            .ToLookup(i => i.OrderId);
        return orders.Select(o => ToOrder(o, items[o.OrderId])).ToList();
    }

    private static Order ToOrder(OrderRow row, IEnumerable<OrderItemRow> items) => new(
        row.OrderId,
        row.UserId,
        row.MerchantId,
        row.Status,
        row.Currency,
        row.TotalAmount,
        DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc),
        items.Select(i => new OrderItem(i.LineNo, i.Sku, i.Quantity, i.UnitPrice)).ToList());
}
