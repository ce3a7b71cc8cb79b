namespace ShardKit.Benchmarks.Driver;

/// <summary>A row of the benchmark table <c>items</c>, as Dapper maps it.</summary>
public sealed class Item
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public decimal Amount { get; set; }

    public DateTime CreatedAt { get; set; }
}
