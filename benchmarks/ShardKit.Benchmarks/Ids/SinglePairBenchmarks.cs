using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Order IDs for one user at one merchant, the worst case: the pair gets 8 IDs per 10 ms tick (800 per second per
/// instance), then waits for the next tick. The baseline is the same calls over fresh random users and merchants.
/// </summary>
[MemoryDiagnoser]
public class SinglePairBenchmarks
{
    private const int Batch = 64;
    private OrderIdGenerator _generator = null!;
    private ulong _random = 0x2545F4914F6CDD1DUL;

    [GlobalSetup]
    public void Setup() => _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 });

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long NextRandomPairs()
    {
        long last = 0;
        var random = _random;
        for (var i = 0; i < Batch; i++)
        {
            random = RandomIds.Next(random);
            last = _generator.Next(RandomIds.User(random), RandomIds.Merchant(random)).Value;
        }

        _random = random;
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
