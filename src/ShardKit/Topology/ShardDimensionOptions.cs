namespace ShardKit.Topology;

/// <summary>How many logical shards a dimension has, how their schemas are named and where they live.</summary>
public sealed class ShardDimensionOptions
{
    /// <summary>The default number of logical shards per dimension.</summary>
    public const int DefaultShardCount = 120;

    /// <summary>The largest number of logical shards a dimension may have (the order ID gene holds 7 bits).</summary>
    public const int MaxShardCount = 128;

    /// <summary>The number of logical shards, 1 to <see cref="MaxShardCount"/>. Default 120.</summary>
    public int ShardCount { get; set; } = DefaultShardCount;

    /// <summary>
    /// A composite format string that turns a shard index into the name of its schema, for example
    /// <c>sk_user_{0:000}</c>. When <see langword="null"/>, <c>sk_user_{0:000}</c> or <c>sk_merchant_{0:000}</c>.
    /// Every shard's schema holds the tables <c>orders</c> and <c>order_items</c>.
    /// </summary>
    public string? SchemaNameFormat { get; set; }

    /// <summary>
    /// Which cluster serves which shards. When <see langword="null"/> or empty, the shards are spread
    /// evenly over the clusters in their listed order, in contiguous ranges.
    /// </summary>
    public IList<ShardPlacementOptions>? Placement { get; set; }
}
