namespace ShardKit.Orders;

/// <summary>One line of an <see cref="OrderRecord"/>, stored next to its order in the same shard.</summary>
public sealed class OrderLine
{
    /// <summary>The line number, unique within the order.</summary>
    public required int LineNo { get; init; }

    /// <summary>The stock-keeping unit, 1 to 64 characters.</summary>
    public required string Sku { get; init; }

    /// <summary>How many units.</summary>
    public required int Quantity { get; init; }

    /// <summary>The price of one unit (DECIMAL(18,2)).</summary>
    public required decimal UnitPrice { get; init; }

    /// <summary>Returns for example <c>#1 SKU-7 x2 @ 9.90</c>.</summary>
    public override string ToString() => FormattableString.Invariant($"#{LineNo} {Sku} x{Quantity} @ {UnitPrice}");
}
