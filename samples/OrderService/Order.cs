namespace OrderService;

/// <summary>An order as the user shard stores it.</summary>
/// <param name="OrderId">The order ID.</param>
/// <param name="UserId">The buyer.</param>
/// <param name="MerchantId">The merchant.</param>
/// <param name="Status">The order status; <c>created</c> for a new order.</param>
/// <param name="Currency">ISO 4217 currency code.</param>
/// <param name="TotalAmount">The sum of quantity × unit price over the items.</param>
/// <param name="CreatedAt">When the order was created (UTC).</param>
/// <param name="Items">The order lines, in line order.</param>
public sealed record Order(
    long OrderId,
    long UserId,
    long MerchantId,
    string Status,
    string Currency,
    decimal TotalAmount,
    DateTime CreatedAt,
    IReadOnlyList<OrderItem> Items);
