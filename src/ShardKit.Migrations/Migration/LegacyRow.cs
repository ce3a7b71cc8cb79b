using ShardKit.Orders;

namespace ShardKit.Migrations.Migration;

/// <summary>One legacy order as a backfill chunk reads it (Dapper maps the columns by name).</summary>
internal sealed class LegacyRow
{
#pragma warning disable IDE1006, SA1300 // column names
    public long order_id { get; init; }

    public long user_id { get; init; }

    public long merchant_id { get; init; }

    public string status { get; init; } = "";

    public decimal total_amount { get; init; }

    public string currency { get; init; } = "";

    public DateTime created_at { get; init; }

    public DateTime updated_at { get; init; }

    public long version { get; init; }

    public string? ext { get; init; }

    public long? shardkit_order_id { get; init; }
#pragma warning restore IDE1006, SA1300

    public OrderRecord ToOrder(OrderId id, IReadOnlyList<OrderLine> items) => new()
    {
        Id = id,
        UserId = user_id,
        MerchantId = merchant_id,
        Status = status,
        TotalAmount = total_amount,
        Currency = currency,
        Ext = ext,
        Items = items,
        CreatedAt = OrderReader.Utc(created_at),
        UpdatedAt = OrderReader.Utc(updated_at),
        Version = version,
    };
}
