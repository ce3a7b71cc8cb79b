namespace ShardKit.IntegrationTests.Orders;

/// <summary>Builds valid orders for a given map, with IDs from a generator of the map's shard count.</summary>
internal sealed class OrderFactory(int workerId, int shardCount = ShardFunctions.DefaultShardCount)
{
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = workerId, ShardCount = shardCount });

    public OrderRecord New(long userId, long merchantId, int items = 2, string status = "created") => new()
    {
        Id = _ids.Next(userId, merchantId),
        UserId = userId,
        MerchantId = merchantId,
        Status = status,
        TotalAmount = 10.50m * items,
        Currency = "EUR",
        Ext = """{"channel":"app"}""",
        Items = Enumerable.Range(1, items).Select(i => new OrderLine { LineNo = i, Sku = $"SKU-{i}", Quantity = i, UnitPrice = 10.50m }).ToList(),
    };

    public static OrderRecord Changed(OrderRecord order, string status, int items) => new()
    {
        Id = order.Id,
        UserId = order.UserId,
        MerchantId = order.MerchantId,
        Status = status,
        TotalAmount = 1.25m * items,
        Currency = order.Currency,
        Ext = items % 2 == 0 ? null : $$"""{"n":{{items}}}""",
        Items = Enumerable.Range(1, items).Select(i => new OrderLine { LineNo = i, Sku = $"{status}-{i}", Quantity = items, UnitPrice = 1.25m }).ToList(),
    };

    /// <summary>What the two copies of an order are compared on.</summary>
    public static string Describe(OrderRecord? order) => order is null
        ? "(none)"
        : $"{order.Id} v{order.Version} {order.UserId} {order.MerchantId} {order.Status} {order.TotalAmount} {order.Currency} {order.Ext ?? "null"} " +
          $"{order.CreatedAt:O} {order.UpdatedAt:O} [{string.Join(", ", order.Items.Select(i => i.ToString()))}]";
}
