namespace ShardKit.Migrations.Migration.Moves;

/// <summary>One move of a rebalance plan: a logical shard of a dimension, from the cluster that serves it to another.</summary>
internal sealed record PlannedMove(ShardDimension Dimension, int Shard, string From, string To)
{
    /// <summary><c>user:17</c>.</summary>
    public string Name => ShardKit.Routing.ShardSlot.FormatName(Dimension, Shard);
}
