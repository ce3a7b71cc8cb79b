using BenchmarkDotNet.Attributes;

namespace ShardKit.Benchmarks.Orders;

/// <summary>
/// Catching up after a merchant outage: <see cref="Backlog"/> orders were written while their copies could not be
/// applied, and the relay applies them. <see cref="OutboxRelay.DrainAsync"/> (scan every user shard's outbox, apply,
/// mark) against applying the same orders one by one with the store's own apply step (the baseline, no scan).
/// Mean is per order: 1 / Mean is the catch-up rate in orders per second.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
public class RelayCatchUpBenchmarks
{
    private const int Backlog = 256;
    private readonly Random _random = new(7);
    private readonly List<OrderId> _pending = new(Backlog);
    private OrderBenchmarkTopology _topology = null!;
    private TwoDimensionOrderStore _store = null!;
    private OutboxRelay _relay = null!;
    private OrderIdGenerator _ids = null!;

    // Synchronous on purpose: the in-process toolchain (used to skip a per-run build) runs [IterationSetup] before an async [GlobalSetup] has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _topology = await OrderBenchmarkTopology.StartAsync();
        _store = new TwoDimensionOrderStore(_topology.Shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        _relay = new OutboxRelay(_store, new OutboxRelayOptions { BatchSize = 200, Parallelism = 4 });
        _ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 4, ShardCount = OrderBenchmarkTopology.ShardCount });
    }

    [IterationSetup]
    public void CreateBacklog()
    {
        _pending.Clear();
        for (var i = 0; i < Backlog; i++)
        {
            _pending.Add(_store.CreateAsync(OrderBenchmarkTopology.NewOrder(_ids, _random)).GetAwaiter().GetResult().Id);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        _store.Dispose();
        await _topology.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Backlog)]
    public async Task ApplyEachOrderDirectly()
    {
        foreach (var orderId in _pending)
        {
            await _store.Applier.ApplyAsync(orderId, force: false, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = Backlog)]
    public async Task RelayDrain()
    {
        var result = await _relay.DrainAsync();
        if (result.Applied < Backlog)
        {
            throw new InvalidOperationException($"The relay applied {result.Applied} of {Backlog} entries.");
        }
    }
}
