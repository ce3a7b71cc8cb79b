namespace ShardKit.Orders;

/// <summary>
/// Where a page of a merchant's orders ended: the (created_at, order ID) of its last order. Pass it to
/// <see cref="TwoDimensionOrderStore.ListMerchantOrdersAsync(long, int, MerchantOrderCursor?, CancellationToken)"/> to read the next page; the keyset never re-reads earlier rows.
/// </summary>
/// <param name="CreatedAt">The creation time of the last order of the page.</param>
/// <param name="OrderId">The ID of the last order of the page.</param>
public sealed record MerchantOrderCursor(DateTimeOffset CreatedAt, OrderId OrderId);
