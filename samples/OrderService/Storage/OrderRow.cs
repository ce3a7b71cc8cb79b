namespace OrderService.Storage;

/// <summary>A row of <c>orders</c> as Dapper reads it.</summary>
internal sealed class OrderRow
{
    public long OrderId { get; set; }

    public long UserId { get; set; }

    public long MerchantId { get; set; }

    public string Status { get; set; } = "";

    public string Currency { get; set; } = "";

    public decimal TotalAmount { get; set; }

    public DateTime CreatedAt { get; set; }
}
