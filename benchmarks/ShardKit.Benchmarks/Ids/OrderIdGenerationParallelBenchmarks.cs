using BenchmarkDotNet.Attributes;
using ShardKit;

namespace ShardKit.Benchmarks.Ids;

/// <summary>
/// Order-ID generation from two threads (the benchmark machine's core count) sharing one generator, over fresh random
/// users and merchants per call, against the same threads incrementing one shared counter with
/// <see cref="Interlocked.Increment(ref long)"/>. IDs per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class OrderIdGenerationParallelBenchmarks
{
    private const int Threads = 2;
    private const int PerThread = 65_536;
    private OrderIdGenerator _generator = null!;
    private long _counter;
    private int _round;

    [GlobalSetup]
    public void Setup() => _generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 2 });

    [Benchmark(Baseline = true, OperationsPerInvoke = PerThread * Threads)]
    public void InterlockedIncrementTwoThreads() => Run(_ =>
    {
        for (var i = 0; i < PerThread; i++)
        {
            Interlocked.Increment(ref _counter);
        }
    });

    [Benchmark(OperationsPerInvoke = PerThread * Threads)]
    public void NextRandomUserAndMerchantTwoThreads() => Run(seed =>
    {
        var random = seed;
        for (var i = 0; i < PerThread; i++)
        {
            random = RandomIds.Next(random);
            _generator.Next(RandomIds.User(random), RandomIds.Merchant(random));
        }
    });

    private void Run(Action<ulong> body)
    {
        var round = ++_round;
        var threads = new Thread[Threads];
        for (var t = 0; t < threads.Length; t++)
        {
            var seed = 0x9E3779B97F4A7C15UL * (ulong)((round * Threads) + t + 1);
            threads[t] = new Thread(() => body(seed));
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }
}
