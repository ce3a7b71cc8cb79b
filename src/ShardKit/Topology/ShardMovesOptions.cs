namespace ShardKit.Topology;

/// <summary>
/// How a <see cref="ShardKitDataSource"/> follows logical shards moved between clusters by <c>shardkit move-shard</c>: it polls
/// the placement overrides (<c>shardkit_control.placements</c>) on the control cluster and swaps in a map that routes each moved
/// shard to its new cluster. Writes that reach a moved shard's old cluster are refused by the database itself (the shard's fence),
/// so a late poll costs a retry, never a lost or misplaced write.
/// </summary>
public sealed class ShardMovesOptions
{
    /// <summary>The cluster holding the control schema <c>shardkit_control</c>; null for the first cluster.</summary>
    public string? ControlCluster { get; set; }

    /// <summary>How often the placement overrides are read (at least 50 ms). Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a write refused by a moved shard's fence waits for the new placement before it fails with
    /// <see cref="ShardKitErrorCode.ShardMoved"/> (the placement is re-read at once, then every 50 ms). Default 5 s.
    /// </summary>
    public TimeSpan RetryWait { get; set; } = TimeSpan.FromSeconds(5);
}
