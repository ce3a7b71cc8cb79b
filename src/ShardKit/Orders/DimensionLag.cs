namespace ShardKit.Orders;

/// <summary>The lag between the user dimension and its merchant copy, per user shard and overall.</summary>
public sealed class DimensionLag
{
    /// <summary>When the lag was measured.</summary>
    public required DateTimeOffset MeasuredAt { get; init; }

    /// <summary>One entry per user shard, in shard order.</summary>
    public required IReadOnlyList<ShardLag> Shards { get; init; }

    /// <summary>The age of the oldest pending entry over all shards that could be read.</summary>
    public TimeSpan Max => Shards.Count == 0 ? TimeSpan.Zero : Shards.Max(s => s.Lag);

    /// <summary>Pending entries over all shards that could be read.</summary>
    public long Pending => Shards.Sum(s => s.Pending);

    /// <summary>Whether a shard could not be measured (its lag is unknown).</summary>
    public bool Incomplete => Shards.Any(s => s.Error is not null);
}
