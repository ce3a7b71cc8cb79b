using ShardKit.Testing;

namespace ShardKit.Benchmarks.Orders;

/// <summary>
/// Two clusters of one primary each, 8 shards per dimension: user shards on c0, merchant shards on c1, so every
/// two-dimension write crosses servers as it does in production. The two-dimension schema is applied.
/// </summary>
internal sealed class OrderBenchmarkTopology : IAsyncDisposable
{
    public const int ShardCount = 8;

    private OrderBenchmarkTopology(MariaDbTopology topology, ShardKitDataSource shards)
    {
        Topology = topology;
        Shards = shards;
    }

    public MariaDbTopology Topology { get; }

    public ShardKitDataSource Shards { get; }

    public static async Task<OrderBenchmarkTopology> StartAsync()
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        var options = new ShardKitOptions();
        for (var c = 0; c < 2; c++)
        {
            options.Clusters.Add(new ShardClusterOptions { Name = $"c{c}", Primary = topology.Clusters[c].Primary.ConnectionString + ";SslMode=None" });
        }

        options.Dimensions.User.ShardCount = ShardCount;
        options.Dimensions.User.Placement = [new ShardPlacementOptions { Shards = $"0-{ShardCount - 1}", Cluster = "c0" }];
        options.Dimensions.Merchant.ShardCount = ShardCount;
        options.Dimensions.Merchant.Placement = [new ShardPlacementOptions { Shards = $"0-{ShardCount - 1}", Cluster = "c1" }];
        var shards = new ShardKitDataSourceBuilder(options).Build();
        using (var store = new TwoDimensionOrderStore(shards))
        {
            await store.EnsureSchemaAsync();
        }

        return new OrderBenchmarkTopology(topology, shards);
    }

    public static OrderRecord NewOrder(OrderIdGenerator ids, Random random)
    {
        var userId = random.NextInt64(1, 10_000_000);
        var merchantId = random.NextInt64(1, 100_000);
        return new OrderRecord
        {
            Id = ids.Next(userId, merchantId),
            UserId = userId,
            MerchantId = merchantId,
            Status = "created",
            TotalAmount = 21.00m,
            Currency = "EUR",
            Items = [new OrderLine { LineNo = 1, Sku = "SKU-1", Quantity = 2, UnitPrice = 10.50m }],
        };
    }

    /// <summary>The same order as <see cref="NewOrder"/>, as an <see cref="OrderRow"/> of the built-in tables (the generic path).</summary>
    public static OrderRow NewRow(OrderIdGenerator ids, Random random)
    {
        var order = NewOrder(ids, random);
        var now = DateTime.UtcNow;
        return new OrderRow(
            new Dictionary<string, object?>
            {
                ["order_id"] = order.Id.Value, ["user_id"] = order.UserId, ["merchant_id"] = order.MerchantId, ["status"] = order.Status,
                ["total_amount"] = order.TotalAmount, ["currency"] = order.Currency, ["created_at"] = now, ["updated_at"] = now,
            },
            new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>
            {
                ["order_items"] = [new Dictionary<string, object?> { ["line_no"] = 1, ["sku"] = "SKU-1", ["quantity"] = 2, ["unit_price"] = 10.50m }],
            });
    }

    public async ValueTask DisposeAsync()
    {
        await Shards.DisposeAsync();
        await Topology.DisposeAsync();
    }
}
