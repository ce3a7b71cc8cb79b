namespace OrderService.Storage;

/// <summary>A row of <c>shop_orders</c> as Dapper reads it and <see cref="ShardKit.Orders.OrderRow.FromObject"/> writes it (properties match the snake_case columns).</summary>
internal sealed class ShopOrderRow
{
    /// <summary>The ShardKit order ID (<c>id</c>, the declared order-ID column).</summary>
    public long Id { get; set; }

    /// <summary>The buyer (<c>buyer_id</c>, the declared user-ID column).</summary>
    public long BuyerId { get; set; }

    /// <summary>The merchant (<c>shop_id</c>, the declared merchant-ID column).</summary>
    public long ShopId { get; set; }

    /// <summary>The version ShardKit raises on every write (<c>revision</c>); ignored on writes.</summary>
    public long Revision { get; set; }

    /// <summary>One of <see cref="OrderStates.All"/> (an <c>ENUM</c>).</summary>
    public string State { get; set; } = "";

    public string Currency { get; set; } = "";

    public decimal Total { get; set; }

    public string? TradeNo { get; set; }

    /// <summary>The <c>JSON</c> column, as text.</summary>
    public string? ShippingAddress { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
