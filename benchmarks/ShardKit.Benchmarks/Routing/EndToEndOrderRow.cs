namespace ShardKit.Benchmarks.Routing;

/// <summary>The columns of an order the end-to-end benchmark reads, as Dapper maps them.</summary>
public sealed class EndToEndOrderRow
{
    public long OrderId { get; set; }

    public long UserId { get; set; }

    public string Status { get; set; } = "";

    public decimal TotalAmount { get; set; }
}
