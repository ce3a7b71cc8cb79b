namespace ShardKit.Migrations.Workload;

/// <summary>The last orders created in a run (a ring of fixed size), for the read operations to pick from.</summary>
internal sealed class RecentOrders(int capacity = 4096)
{
    private readonly (OrderId OrderId, long UserId, long MerchantId)[] _ring = new (OrderId, long, long)[capacity];
    private readonly Lock _lock = new();
    private long _added;

    public void Add(OrderId orderId, long userId, long merchantId)
    {
        lock (_lock)
        {
            _ring[_added % _ring.Length] = (orderId, userId, merchantId);
            _added++;
        }
    }

    /// <summary>A random recent order, or <see langword="false"/> before the first one.</summary>
    public bool TryPick(Random random, out OrderId orderId, out long userId, out long merchantId)
    {
        lock (_lock)
        {
            var count = (int)Math.Min(_added, _ring.Length);
            if (count == 0)
            {
                orderId = default;
                userId = 0;
                merchantId = 0;
                return false;
            }

            (orderId, userId, merchantId) = _ring[random.Next(count)];
            return true;
        }
    }
}
