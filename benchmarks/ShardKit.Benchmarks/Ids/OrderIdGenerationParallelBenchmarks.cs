using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Order-ID generation from two threads (the benchmark machine's core count) sharing one generator, over random users and merchants, against the
/// same threads incrementing one shared counter with <see cref="Interlocked.Increment(ref long)"/>. IDs per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class OrderIdGenerationParallelBenchmarks
{
    private const int PerThread = 65_536;
    private const int Threads = 2;
    private readonly long[] _users = new long[PerThread];
    private readonly long[] _merchants = new long[PerThread];
    private OrderIdGenerator _generator = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (var i = 0; i < PerThread; i++)
        {
            _users[i] = random.NextInt64(1, 1_000_000_000);
            _merchants[i] = random.NextInt64(1, 10_000_000);
        }

        _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 2 });
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PerThread * Threads)]
    public void InterlockedIncrementTwoThreads() => Run(thread =>
    {
        for (var i = 0; i < PerThread; i++)
        {
            Interlocked.Increment(ref _counter);
        }
    });

    [Benchmark(OperationsPerInvoke = PerThread * Threads)]
    public void NextRandomUserAndMerchantTwoThreads() => Run(thread =>
    {
        // Each thread walks the inputs from its own offset, so threads ask for different pairs at the same time.
        var offset = thread * 7919;
        for (var i = 0; i < PerThread; i++)
        {
            var index = (i + offset) % PerThread;
            _generator.Next(_users[index], _merchants[index]);
        }
    });

    private static void Run(Action<int> body)
    {
        var threads = new Thread[Threads];
        for (var t = 0; t < threads.Length; t++)
        {
            var thread = t;
            threads[t] = new Thread(() => body(thread));
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }
}
