namespace ShardKit.Orders;

/// <summary>One outbox row not yet applied.</summary>
internal sealed record PendingEntry(long Id, long OrderId, long Version, int Attempts);
