namespace ShardKit.Orders;

/// <summary>The authoritative state of one order read from its user shard: the live order, or its tombstone.</summary>
internal sealed record UserSideState(OrderRecord Order, bool Deleted)
{
    public long Version => Order.Version;
}
