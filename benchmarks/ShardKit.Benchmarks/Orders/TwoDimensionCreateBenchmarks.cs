using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Orders;

/// <summary>
/// Creating an order with one item: the single-dimension insert (order + item in one transaction on the user shard,
/// no outbox, no copy: the baseline) against <see cref="TwoDimensionOrderStore.CreateAsync"/> with the merchant copy applied right
/// after the commit (outbox row, the held state inserted on the merchant cluster, mark), and with the copy left to the
/// relay (outbox row only). One task, sequential creates: Mean is the latency of one create.
/// </summary>
[MemoryDiagnoser]
public class TwoDimensionCreateBenchmarks
{
    private const string InsertOrder = """
        INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version)
        VALUES (@OrderId, @UserId, @MerchantId, @Status, @TotalAmount, @Currency, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1)
        """;

    private const string InsertItem = "INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES (@OrderId, 1, 'SKU-1', 2, 10.50)";

    private readonly Random _random = new(42);
    private OrderBenchmarkTopology _topology = null!;
    private TwoDimensionOrderStore _immediate = null!;
    private TwoDimensionOrderStore _deferred = null!;
    private OrderIdGenerator _ids = null!;

    // Synchronous on purpose: the in-process toolchain (used to skip a per-run build) runs [IterationSetup] before an async [GlobalSetup] has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _topology = await OrderBenchmarkTopology.StartAsync();
        _immediate = new TwoDimensionOrderStore(_topology.Shards);
        _deferred = new TwoDimensionOrderStore(_topology.Shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        _ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3, ShardCount = OrderBenchmarkTopology.ShardCount });
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        _immediate.Dispose();
        _deferred.Dispose();
        await _topology.DisposeAsync();
    }

    [Benchmark(Baseline = true)]
    public async Task SingleDimensionInsert()
    {
        var order = OrderBenchmarkTopology.NewOrder(_ids, _random);
        await using var shard = await _topology.Shards.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write);
        await using var transaction = await shard.BeginTransactionAsync();
        await shard.Connection.ExecuteAsync(
            shard.Sql(InsertOrder),
            new { OrderId = order.Id.Value, order.UserId, order.MerchantId, order.Status, order.TotalAmount, order.Currency },
            transaction.DbTransaction);
        await shard.Connection.ExecuteAsync(shard.Sql(InsertItem), new { OrderId = order.Id.Value }, transaction.DbTransaction);
        await transaction.CommitAsync();
    }

    [Benchmark]
    public Task<OrderRecord> TwoDimensionCreate() => _immediate.CreateAsync(OrderBenchmarkTopology.NewOrder(_ids, _random));

    [Benchmark]
    public Task<OrderRecord> TwoDimensionCreateCopyByRelay() => _deferred.CreateAsync(OrderBenchmarkTopology.NewOrder(_ids, _random));

    /// <summary>The generic path a team's tables take: the same order as an <see cref="OrderRow"/> (bound to the tables' shapes).</summary>
    [Benchmark]
    public Task<OrderRow> RowCreate() => _immediate.CreateAsync(OrderBenchmarkTopology.NewRow(_ids, _random));

    [Benchmark]
    public Task<OrderRow> RowCreateCopyByRelay() => _deferred.CreateAsync(OrderBenchmarkTopology.NewRow(_ids, _random));
}
