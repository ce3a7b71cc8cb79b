namespace ShardKit.Orders;

/// <summary>Checks an order before it is written, with messages that say what is wrong and what is allowed.</summary>
internal static class OrderValidation
{
    /// <summary>Checks an order's keys: positive, and the ID's genes those of the user and merchant (entries named as given).</summary>
    public static void ValidateKeys(OrderId id, long userId, long merchantId, ShardMap map, string idEntry, string userEntry, string merchantEntry, string name)
    {
        if (id.Value <= 0)
        {
            throw new ArgumentException($"{idEntry} is empty; order IDs come from OrderIdGenerator.", name);
        }

        if (userId <= 0)
        {
            throw new ArgumentException($"{userEntry} is {userId}; it must be positive.", name);
        }

        if (merchantId <= 0)
        {
            throw new ArgumentException($"{merchantEntry} is {merchantId}; it must be positive.", name);
        }

        var userShard = map.RouteUser(userId).Shard;
        var merchantShard = map.RouteMerchant(merchantId).Shard;
        if (id.UserShard != userShard || id.MerchantShard != merchantShard)
        {
            throw new ArgumentException(
                $"Order ID {id} carries user shard {id.UserShard} and merchant shard {id.MerchantShard}, but user {userId} is on user shard {userShard} " +
                $"and merchant {merchantId} on merchant shard {merchantShard}; generate the ID with OrderIdGenerator.Next(userId, merchantId).",
                name);
        }
    }

    public static void Validate(OrderRecord order, ShardMap map)
    {
        const string name = "order";
        ValidateKeys(order.Id, order.UserId, order.MerchantId, map, "OrderRecord.Id", "OrderRecord.UserId", "OrderRecord.MerchantId", name);

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
