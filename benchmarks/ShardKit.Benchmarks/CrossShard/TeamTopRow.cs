namespace ShardKit.Benchmarks.CrossShard;

/// <summary>The row both sides of <see cref="CrossShardTableBenchmarks"/> map (Dapper matches the snake_case columns with underscores ignored).</summary>
public sealed class TeamTopRow
{
    public long Id { get; set; }

    public long BuyerId { get; set; }

    public string State { get; set; } = "";

    public decimal GoodsAmount { get; set; }

    public DateTime CreatedAt { get; set; }
}
