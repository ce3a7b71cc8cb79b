namespace OrderService;

/// <summary>One line of a <see cref="CreateOrderRequest"/>.</summary>
/// <param name="Sku">The product code, 1 to 64 characters.</param>
/// <param name="Quantity">How many, 1 to 10 000.</param>
/// <param name="UnitPrice">The price of one, 0 to 1 000 000 with at most 2 decimals.</param>
public sealed record OrderItemRequest(string? Sku, int Quantity, decimal UnitPrice);
