namespace OrderService;

/// <summary>A buyer's note on an order (<c>shop_order_notes</c>: kept on the user shard only, never copied to the merchant).</summary>
/// <param name="NoteNo">The note number, from 1.</param>
/// <param name="Body">The text.</param>
/// <param name="WrittenAt">When it was written (UTC).</param>
public sealed record OrderNote(int NoteNo, string Body, DateTime WrittenAt);
