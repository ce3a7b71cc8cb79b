namespace OrderService.Storage;

/// <summary>A row of <c>shop_order_notes</c> (user shards only), as Dapper reads it and ShardKit writes it.</summary>
internal sealed class ShopOrderNoteRow
{
    /// <summary>The order (set by ShardKit on writes).</summary>
    public long OrderId { get; set; }

    public int NoteNo { get; set; }

    public string Body { get; set; } = "";

    public DateTime WrittenAt { get; set; }
}
