namespace ShardKit.Leases;

/// <summary>One row of the lease table as read: the shard, its holder (empty when released) and whether the lease is unexpired.</summary>
internal readonly record struct LeaseRow(int Shard, string Holder, bool Live);
