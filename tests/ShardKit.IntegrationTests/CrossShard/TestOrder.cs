namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>A row of the orders table as the cross-shard tests write it, and the user shard it lives in.</summary>
public sealed record TestOrder(
    long OrderId, long UserId, long MerchantId, string Status, decimal TotalAmount, string Currency,
    DateTime CreatedAt, DateTime UpdatedAt, long Version, string? Ext, int Shard)
{
    public static readonly string[] Statuses = ["created", "paid", "Paid", "shipped", "cancelled", "rückerstattet"];
    public static readonly string[] Currencies = ["EUR", "USD", "CNY"];
    public static readonly DateTime Epoch = new(2026, 11, 1, 8, 0, 0);

    /// <summary>
    /// Random rows with many ties (few statuses, amounts, minutes), so sorting and grouping lean on the tiebreaker;
    /// order IDs from <paramref name="firstId"/> upwards, unique.
    /// </summary>
    public static List<TestOrder> Generate(Random random, ShardMap map, int count, long firstId)
    {
        var orders = new List<TestOrder>(count);
        var id = firstId;
        for (var i = 0; i < count; i++)
        {
            id += 1 + random.Next(5);
            var userId = random.NextInt64(1, 5_000);
            var created = Epoch.AddMinutes(random.Next(600)).AddTicks(random.Next(3) == 0 ? random.Next(10) * 10 : 0);
            orders.Add(new TestOrder(
                id,
                userId,
                random.NextInt64(1, 40),
                Statuses[random.Next(Statuses.Length)],
                random.Next(-20, 400) / 4m,
                Currencies[random.Next(Currencies.Length)],
                created,
                created.AddSeconds(random.Next(3600)),
                1 + random.Next(5),
                random.Next(4) == 0 ? null : $"{{\"tip\":{random.Next(10)}}}",
                map.RouteUser(userId).Shard));
        }

        return orders;
    }
}
