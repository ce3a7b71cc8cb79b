using System.Collections.Concurrent;
using System.Diagnostics;
using ShardKit.Migrations.Migration;
using ShardKit.Migrations.Workload;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// Live writers for the rebalance figure: each loop creates an order (1–3 items, both dimensions) through
/// <see cref="TwoDimensionOrderStore"/> on an application data source that follows shard moves, every 10 ms, and records
/// every write's latency with its time, so the p50 and p99 of any stretch of the run (before the rebalance, during it) are
/// computed from the writes themselves, not from per-window figures.
/// </summary>
internal sealed class SampledWriters
{
    private readonly ConcurrentQueue<(long At, double Ms)> _samples = new();
    private readonly ConcurrentQueue<string> _errorSamples = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loops;
    private long _errors;

    private SampledWriters(ShardKitDataSource app, int writers, long users, long merchants)
    {
        var store = new TwoDimensionOrderStore(app);
        var target = new StoreOrderTarget(store, new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 4, ShardCount = app.Map.GetShardCount(ShardDimension.User) }), "in process");
        _loops = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => LoopAsync(target, new Random(500 + w), users, merchants))))
            .ContinueWith(_ => store.Dispose(), TaskScheduler.Default);
    }

    public static SampledWriters Start(ShardKitDataSource app, int writers, long users, long merchants) => new(app, writers, users, merchants);

    /// <summary>Writes that failed so far.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Up to 5 distinct error messages with their counts.</summary>
    public IReadOnlyList<string> ErrorSamples => _errorSamples.GroupBy(e => e).Select(g => $"{g.Count()} × {g.Key}").Take(5).ToList();

    /// <summary>The writes that finished between two <see cref="Stopwatch.GetTimestamp"/> marks: count, p50, p99 and max in ms.</summary>
    public WriterLatency Between(long from, long to)
    {
        var ms = _samples.Where(s => s.At >= from && s.At < to).Select(s => s.Ms).ToList();
        var seconds = Stopwatch.GetElapsedTime(from, to).TotalSeconds;
        return new WriterLatency(ms.Count, ms.Count / Math.Max(seconds, 1e-3), MigrationWorkload.Percentile(ms, 0.5), MigrationWorkload.Percentile(ms, 0.99), ms.DefaultIfEmpty(0).Max());
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loops;
        _stop.Dispose();
    }

    private async Task LoopAsync(StoreOrderTarget target, Random random, long users, long merchants)
    {
        while (!_stop.IsCancellationRequested)
        {
            var order = WorkloadRunner.NewOrder(random, users, merchants);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await target.CreateAsync(order, CancellationToken.None);
                var finished = Stopwatch.GetTimestamp();
                _samples.Enqueue((finished, Stopwatch.GetElapsedTime(started, finished).TotalMilliseconds));
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or ShardKitException or TimeoutException or InvalidOperationException)
            {
                Interlocked.Increment(ref _errors);
                _errorSamples.Enqueue($"{ex.GetType().Name}: {ex.Message}");
            }

            await Task.Delay(10, CancellationToken.None);
        }
    }
}
