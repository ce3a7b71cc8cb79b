namespace ShardKit.Migrations.Workload;

/// <summary>The last orders created in a run (a ring of fixed size), for the read operations to pick from.</summary>
internal sealed class RecentOrders(int capacity = 4096)
{
    private readonly (OrderId OrderId, CausalToken? Token, long UserId, long MerchantId)[] _ring = new (OrderId, CausalToken?, long, long)[capacity];
    private readonly Lock _lock = new();
    private long _added;

    public void Add(OrderId orderId, CausalToken? token, long userId, long merchantId)
    {
        lock (_lock)
        {
            _ring[_added % _ring.Length] = (orderId, token, userId, merchantId);
            _added++;
        }
    }

    /// <summary>A random recent order with its write's causal token, or <see langword="false"/> before the first one.</summary>
    public bool TryPick(Random random, out OrderId orderId, out CausalToken? token, out long userId, out long merchantId)
    {
        lock (_lock)
        {
            var count = (int)Math.Min(_added, _ring.Length);
            if (count == 0)
            {
                orderId = default;
                token = null;
                userId = 0;
                merchantId = 0;
                return false;
            }

            (orderId, token, userId, merchantId) = _ring[random.Next(count)];
            return true;
        }
    }
}
