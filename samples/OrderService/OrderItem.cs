namespace OrderService;

/// <summary>One stored order line.</summary>
/// <param name="LineNo">The line number, from 1.</param>
/// <param name="Sku">The product code.</param>
/// <param name="Quantity">How many.</param>
/// <param name="UnitPrice">The price of one.</param>
public sealed record OrderItem(int LineNo, string Sku, int Quantity, decimal UnitPrice);
