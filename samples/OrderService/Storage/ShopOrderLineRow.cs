namespace OrderService.Storage;

/// <summary>A row of <c>shop_order_lines</c>, as Dapper reads it and ShardKit writes it.</summary>
internal sealed class ShopOrderLineRow
{
    /// <summary>The order (set by ShardKit on writes).</summary>
    public long OrderId { get; set; }

    public int LineNo { get; set; }

    public string Sku { get; set; } = "";

    public int Quantity { get; set; }

    public decimal UnitPrice { get; set; }
}
