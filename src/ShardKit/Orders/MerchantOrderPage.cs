namespace ShardKit.Orders;

/// <summary>One page of a merchant's orders, newest first, read from the merchant copy.</summary>
public sealed class MerchantOrderPage
{
    /// <summary>The orders of the page, with their items, by (created_at, order ID) descending.</summary>
    public required IReadOnlyList<OrderRecord> Orders { get; init; }

    /// <summary>The cursor of the next page, or <see langword="null"/> when this is the last page.</summary>
    public MerchantOrderCursor? Next { get; init; }
}
