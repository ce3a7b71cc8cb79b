using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// The routing decision: which user shard holds an order, from a user ID or from an order ID, against the naive
/// <c>userId % 120</c>. Target: 20 ns or less and 0 bytes per decision.
/// </summary>
[MemoryDiagnoser]
public class RoutingDecisionBenchmarks
{
    private const int Batch = 1024;
    private readonly long[] _userIds = new long[Batch];
    private readonly long[] _orderIds = new long[Batch];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 4 });
        for (var i = 0; i < Batch; i++)
        {
            _userIds[i] = random.NextInt64(1, 1_000_000_000);
            _orderIds[i] = generator.Next(_userIds[i], random.NextInt64(1, 10_000_000)).Value;
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int UserIdModulo120()
    {
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += (int)(_userIds[i] % 120);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int UserShardOfUserId()
    {
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += ShardFunctions.UserShard(_userIds[i], 120);
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int UserShardOfParsedOrderId()
    {
        var sum = 0;
        for (var i = 0; i < Batch; i++)
        {
            sum += OrderId.Parse(_orderIds[i]).UserShard;
        }

        return sum;
    }
}
