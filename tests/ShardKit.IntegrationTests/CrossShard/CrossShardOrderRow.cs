namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>A full order row as a cross-shard page maps it (snake_case columns onto these properties, see <see cref="CrossShardPaginationTests"/>).</summary>
public sealed class CrossShardOrderRow
{
    public long OrderId { get; set; }

    public long UserId { get; set; }

    public long MerchantId { get; set; }

    public string Status { get; set; } = "";

    public decimal TotalAmount { get; set; }

    public string Currency { get; set; } = "";

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public long Version { get; set; }

    public string? Ext { get; set; }
}
