using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Single-threaded order-ID generation over random users and merchants, against a plain
/// <see cref="Interlocked.Increment(ref long)"/> counter. IDs per second = 1 / mean. Every call draws a fresh
/// random user and merchant (xorshift, included in the time), so the calls spread over all 14,400 gene pairs as a
/// real order stream does; a fixed small set of inputs would measure the 800-per-second limit of those few pairs.
/// </summary>
[MemoryDiagnoser]
public class OrderIdGenerationBenchmarks
{
    private const int Batch = 1024;
    private OrderIdGenerator _generator = null!;
    private ulong _random = 0x2545F4914F6CDD1DUL;
    private long _counter;

    [GlobalSetup]
    public void Setup() => _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 });

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public long InterlockedIncrement()
    {
        long last = 0;
        for (var i = 0; i < Batch; i++)
        {
            last = Interlocked.Increment(ref _counter);
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long NextRandomUserAndMerchant()
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
}
