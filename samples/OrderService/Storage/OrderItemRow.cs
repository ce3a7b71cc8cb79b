namespace OrderService.Storage;

/// <summary>A row of <c>order_items</c>, as Dapper reads and writes it.</summary>
internal sealed class OrderItemRow
{
    public long OrderId { get; set; }

    public int LineNo { get; set; }

    public string Sku { get; set; } = "";

    public int Quantity { get; set; }

    public decimal UnitPrice { get; set; }
}
