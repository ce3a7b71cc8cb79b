namespace ShardKit.Benchmarks.CrossShard;

/// <summary>The row both sides of <see cref="CrossShardBenchmarks"/> map (Dapper matches the snake_case columns with underscores ignored).</summary>
public sealed class TopOrderRow
{
    public long OrderId { get; set; }

    public long UserId { get; set; }

    public string Status { get; set; } = "";

    public decimal TotalAmount { get; set; }

    public DateTime CreatedAt { get; set; }
}
