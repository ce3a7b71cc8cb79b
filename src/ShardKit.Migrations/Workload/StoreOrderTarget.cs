using Dapper;

namespace ShardKit.Migrations.Workload;

/// <summary>
/// Drives ShardKit in process, as the OrderService sample's store does but without its HTTP host: creates and reads
/// through <see cref="TwoDimensionOrderStore"/>, lists a user's orders with their items from the user shard, and a
/// merchant's from the merchant copy.
/// </summary>
internal sealed class StoreOrderTarget : IOrderWorkloadTarget
{
    private const string SelectUserOrdersSql =
        "SELECT order_id FROM {orders} WHERE user_id = @UserId ORDER BY created_at DESC, order_id DESC LIMIT @Limit";

    private const string SelectItemsOfOrdersSql =
        "SELECT order_id, line_no, sku, quantity, unit_price FROM {order_items} WHERE order_id IN @OrderIds ORDER BY order_id, line_no";

    private readonly TwoDimensionOrderStore _orders;
    private readonly OrderIdGenerator _ids;

    /// <exception cref="ArgumentException">The generator computes genes for a shard count the map does not have.</exception>
    public StoreOrderTarget(TwoDimensionOrderStore orders, OrderIdGenerator ids, string description)
    {
        var map = orders.DataSource.Map;
        var userShards = map.GetShardCount(ShardDimension.User);
        var merchantShards = map.GetShardCount(ShardDimension.Merchant);
        if (ids.ShardCount != userShards || ids.ShardCount != merchantShards)
        {
            throw new ArgumentException(
                $"The order ID generator computes genes for {ids.ShardCount} shards, but the map has {userShards} user and {merchantShards} merchant shards.",
                nameof(ids));
        }

        _orders = orders;
        _ids = ids;
        Description = description;
    }

    public string Description { get; }

    public async Task<(OrderId Id, CausalToken? Token)> CreateAsync(WorkloadOrder order, CancellationToken cancellationToken)
    {
        var lines = order.Items
            .Select((item, index) => new OrderLine { LineNo = index + 1, Sku = item.Sku, Quantity = item.Quantity, UnitPrice = item.UnitPrice })
            .ToList();
        var created = await _orders.CreateAsync(
            new OrderRecord
            {
                Id = _ids.Next(order.UserId, order.MerchantId),
                UserId = order.UserId,
                MerchantId = order.MerchantId,
                Status = "created",
                TotalAmount = lines.Sum(l => l.Quantity * l.UnitPrice),
                Currency = "USD",
                Items = lines,
            },
            cancellationToken);
        return (created.Id, created.CausalToken);
    }

    public async Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken) =>
        await _orders.GetAsync(orderId, new ReadOptions { CausalToken = token }, cancellationToken) is not null;

    public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken)
    {
        // The same two queries as the sample's list endpoint: the newest orders, then their items.
        await using var shard = await _orders.DataSource.OpenUserShardAsync(userId, ReadPreference.Primary, cancellationToken: cancellationToken);
        var orders = (await shard.Connection.QueryAsync<long>(
            new CommandDefinition(shard.Sql(SelectUserOrdersSql), new { UserId = userId, Limit = limit }, cancellationToken: cancellationToken))).AsList();
        if (orders.Count > 0)
        {
            await shard.Connection.QueryAsync(
                new CommandDefinition(shard.Sql(SelectItemsOfOrdersSql), new { OrderIds = orders }, cancellationToken: cancellationToken));
        }

        return orders.Count;
    }

    public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken) =>
        (await _orders.ListMerchantOrdersAsync(merchantId, limit, after: null, cancellationToken)).Orders.Count;
}
