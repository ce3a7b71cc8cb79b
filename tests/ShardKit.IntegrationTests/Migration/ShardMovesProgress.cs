namespace ShardKit.IntegrationTests.Migration;

/// <summary>What the control schema shows of a running rebalance: how many shard moves are recorded, and how many of them are MOVED.</summary>
internal sealed record ShardMovesProgress(int Recorded, int Moved);
