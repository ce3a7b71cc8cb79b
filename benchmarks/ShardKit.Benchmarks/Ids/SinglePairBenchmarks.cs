using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Order IDs for one user at one merchant, the worst case: the pair gets 8 IDs per 10 ms tick (800 per second per
/// instance), then waits for the next tick. The baseline is the same calls spread over random users and merchants.
/// </summary>
[MemoryDiagnoser]
public class SinglePairBenchmarks
{
    private const int Batch = 64;
    private readonly long[] _users = new long[Batch];
    private readonly long[] _merchants = new long[Batch];
    private OrderIdGenerator _generator = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var i = 0; i < Batch; i++)
        {
            _users[i] = random.NextInt64(1, 1_000_000_000);
            _merchants[i] = random.NextInt64(1, 10_000_000);
        }

        _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 });
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long NextRandomPairs()
    {
        long last = 0;
        for (var i = 0; i < Batch; i++)
        {
            last = _generator.Next(_users[i], _merchants[i]).Value;
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long NextSamePair()
    {
        long last = 0;
        for (var i = 0; i < Batch; i++)
        {
            last = _generator.Next(1234567, 89).Value;
        }

        return last;
    }
}
