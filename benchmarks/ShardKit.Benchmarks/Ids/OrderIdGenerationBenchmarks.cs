using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Single-threaded order-ID generation over random users and merchants, against a plain
/// <see cref="Interlocked.Increment(ref long)"/> counter. IDs per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class OrderIdGenerationBenchmarks
{
    private const int Batch = 1024;
    private readonly long[] _users = new long[Batch];
    private readonly long[] _merchants = new long[Batch];
    private OrderIdGenerator _generator = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var i = 0; i < Batch; i++)
        {
            _users[i] = random.NextInt64(1, 1_000_000_000);
            _merchants[i] = random.NextInt64(1, 10_000_000);
        }

        _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 });
    }

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
        for (var i = 0; i < Batch; i++)
        {
            last = _generator.Next(_users[i], _merchants[i]).Value;
        }

        return last;
    }
}
