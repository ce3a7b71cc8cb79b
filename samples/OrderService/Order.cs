namespace OrderService;

/// <summary>An order of the sample's tables (<c>shop_orders</c> with its <c>shop_order_lines</c> and <c>shop_order_notes</c>).</summary>
/// <param name="OrderId">The order ID.</param>
/// <param name="UserId">The buyer.</param>
/// <param name="MerchantId">The merchant.</param>
/// <param name="State">One of <see cref="OrderStates.All"/>; <c>created</c> for a new order.</param>
/// <param name="Currency">ISO 4217 currency code.</param>
/// <param name="Total">The sum of quantity × unit price over the items.</param>
/// <param name="TradeNo">The external trade number the order was created with, if any.</param>
/// <param name="ShippingAddress">Where the order goes, if given.</param>
/// <param name="CreatedAt">When the order was created (UTC).</param>
/// <param name="UpdatedAt">When the order was last changed (UTC).</param>
/// <param name="Revision">The order's version: 1 when created, one more on every update.</param>
/// <param name="Items">The order lines, in line order.</param>
/// <param name="Notes">The buyer's notes, in order; <see langword="null"/> in a merchant's listing (the merchant copy keeps no notes).</param>
public sealed record Order(
    long OrderId,
    long UserId,
    long MerchantId,
    string State,
    string Currency,
    decimal Total,
    string? TradeNo,
    ShippingAddress? ShippingAddress,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Revision,
    IReadOnlyList<OrderItem> Items,
    IReadOnlyList<OrderNote>? Notes);
