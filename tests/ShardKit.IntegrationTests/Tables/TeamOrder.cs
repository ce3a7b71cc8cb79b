namespace ShardKit.IntegrationTests.Tables;

/// <summary>One row of <see cref="TeamSchema"/>'s <c>trade_orders</c> as the tests write it (the generated <c>total</c> is not written).</summary>
public sealed record TeamOrder(
    long Id, long BuyerId, long ShopId, string TradeNo, string State, decimal GoodsAmount, decimal Freight, decimal? Discount, string Currency,
    string? BuyerNote, string? Address, byte[]? Signature, DateTime? PaidAt, DateTime CreatedAt, DateTime UpdatedAt, double? RiskScore, int Shard)
{
    public const string Columns =
        "id, buyer_id, shop_id, trade_no, state, goods_amount, freight, discount, currency, buyer_note, address, signature, paid_at, created_at, updated_at, risk_score";

    public const string Values =
        "@Id, @BuyerId, @ShopId, @TradeNo, @State, @GoodsAmount, @Freight, @Discount, @Currency, @BuyerNote, @Address, @Signature, @PaidAt, @CreatedAt, @UpdatedAt, @RiskScore";

    private static readonly string[] s_states = ["created", "paid", "shipped", "done", "cancelled"];

    // Notes that tie, differ only in case, are empty, or sort differently by bytes than by a collation.
    private static readonly string[] s_notes = ["", "Gift wrap", "gift wrap", "leave at door", "Zürich", "zebra", "ünterschrift", "#1", "call first", "CALL FIRST"];

    /// <summary><paramref name="count"/> orders with many ties (amounts, times, notes) and NULLs, spread over <paramref name="shards"/> shards.</summary>
    public static List<TeamOrder> Generate(Random random, int count, int shards, long firstId)
    {
        var start = new DateTime(2026, 11, 1, 8, 0, 0, DateTimeKind.Unspecified);
        var orders = new List<TeamOrder>(count);
        for (var i = 0; i < count; i++)
        {
            var created = start.AddSeconds(random.Next(0, 3000)).AddTicks(random.Next(0, 3) * 10 * random.Next(0, 100_000));
            var paid = random.Next(4) == 0 ? (DateTime?)null : created.AddMinutes(random.Next(0, 50)).AddTicks(random.Next(0, 2) * 10);
            orders.Add(new TeamOrder(
                firstId + i,
                BuyerId: random.Next(1, 500),
                ShopId: random.Next(1, 60),
                TradeNo: "T" + random.Next(0, 1 << 30).ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + "-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                State: s_states[random.Next(s_states.Length)],
                GoodsAmount: random.Next(1, 40) * 2.5m,
                Freight: random.Next(0, 3) * 5m,
                Discount: random.Next(3) == 0 ? null : random.Next(0, 4) * 1.25m,
                Currency: random.Next(2) == 0 ? "EUR" : "USD",
                BuyerNote: random.Next(5) == 0 ? null : s_notes[random.Next(s_notes.Length)],
                Address: random.Next(2) == 0 ? null : $$"""{"city":"c{{random.Next(10)}}"}""",
                Signature: random.Next(2) == 0 ? null : [(byte)random.Next(256), (byte)random.Next(256)],
                PaidAt: paid,
                CreatedAt: created,
                UpdatedAt: created.AddSeconds(1),
                RiskScore: random.Next(3) == 0 ? null : random.Next(0, 100) / 8.0,
                Shard: random.Next(shards)));
        }

        return orders;
    }
}
