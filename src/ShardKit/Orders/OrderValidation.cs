namespace ShardKit.Orders;

/// <summary>Checks an order before it is written, with messages that say what is wrong and what is allowed.</summary>
internal static class OrderValidation
{
    public static void Validate(OrderRecord order, ShardMap map)
    {
        const string name = "order";
        if (order.Id.Value <= 0)
        {
            throw new ArgumentException("OrderRecord.Id is empty; order IDs come from OrderIdGenerator.", name);
        }

        if (order.UserId <= 0)
        {
            throw new ArgumentException($"OrderRecord.UserId is {order.UserId}; it must be positive.", name);
        }

        if (order.MerchantId <= 0)
        {
            throw new ArgumentException($"OrderRecord.MerchantId is {order.MerchantId}; it must be positive.", name);
        }

        var userShard = map.RouteUser(order.UserId).Shard;
        var merchantShard = map.RouteMerchant(order.MerchantId).Shard;
        if (order.Id.UserShard != userShard || order.Id.MerchantShard != merchantShard)
        {
            throw new ArgumentException(
                $"Order ID {order.Id} carries user shard {order.Id.UserShard} and merchant shard {order.Id.MerchantShard}, but user {order.UserId} is on user shard {userShard} " +
                $"and merchant {order.MerchantId} on merchant shard {merchantShard}; generate the ID with OrderIdGenerator.Next(userId, merchantId).",
                name);
        }

        if (string.IsNullOrEmpty(order.Status) || order.Status.Length > 32)
        {
            throw new ArgumentException($"OrderRecord.Status must be 1 to 32 characters; got {(order.Status is null ? "null" : order.Status.Length + " characters")}.", name);
        }

        if (order.Currency is not { Length: 3 })
        {
            throw new ArgumentException($"OrderRecord.Currency must be a 3-letter ISO 4217 code; got '{order.Currency}'.", name);
        }

        if (order.Items is null)
        {
            throw new ArgumentException("OrderRecord.Items is null; use an empty list for an order without items.", name);
        }

        var lines = new HashSet<int>();
        foreach (var item in order.Items)
        {
            if (item is null)
            {
                throw new ArgumentException("OrderRecord.Items contains null.", name);
            }

            if (!lines.Add(item.LineNo))
            {
                throw new ArgumentException($"OrderRecord.Items has line number {item.LineNo} twice; line numbers are unique within an order.", name);
            }

            if (string.IsNullOrEmpty(item.Sku) || item.Sku.Length > 64)
            {
                throw new ArgumentException($"Item {item.LineNo}: Sku must be 1 to 64 characters.", name);
            }
        }
    }
}
