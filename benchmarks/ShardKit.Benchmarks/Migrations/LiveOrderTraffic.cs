using ShardKit.Migrations.Workload;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// Live application traffic during the shard moves: <c>shardkit bench</c>'s workload runner (creates, reads by ID, lists by
/// user and by merchant through <see cref="TwoDimensionOrderStore"/>, half reads) on an application data source that follows
/// shard moves, run in consecutive 2-second windows until stopped, so the writers' p99 and errors are known per window.
/// </summary>
internal sealed class LiveOrderTraffic
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<WorkloadReport> _windows = [];
    private readonly Task _loop;

    private LiveOrderTraffic(ShardKitDataSource app, int concurrency, long users, long merchants)
    {
        var shards = app.Map.GetShardCount(ShardDimension.User);
        _loop = Task.Run(() => LoopAsync(app, shards, concurrency, users, merchants));
    }

    public static LiveOrderTraffic Start(ShardKitDataSource app, int concurrency, long users, long merchants) => new(app, concurrency, users, merchants);

    public async Task<LiveTrafficSummary> StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        var creates = _windows.Select(w => w.PerOperation.First(o => o.Operation == WorkloadRunner.Name(WorkloadOperation.Create))).Where(o => o.Count > 0).ToList();
        var seconds = _windows.Sum(w => w.DurationSeconds);
        return new LiveTrafficSummary(
            _windows.Sum(w => w.Operations),
            _windows.Sum(w => w.Errors),
            _windows.Sum(w => w.Operations) / Math.Max(seconds, 1e-3),
            creates.Count == 0 ? 0 : ShardKit.Migrations.Migration.MigrationWorkload.Percentile(creates.Select(c => c.P99Ms).ToList(), 0.5),
            creates.Count == 0 ? 0 : creates.Max(c => c.P99Ms),
            _windows.SelectMany(w => w.ErrorSamples).GroupBy(e => e.Message).Select(g => $"{g.Sum(e => e.Count)} × {g.Key}").Take(5).ToList());
    }

    private async Task LoopAsync(ShardKitDataSource app, int shards, int concurrency, long users, long merchants)
    {
        using var store = new TwoDimensionOrderStore(app);
        var target = new StoreOrderTarget(store, new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3, ShardCount = shards }), "in process");
        var options = new WorkloadOptions { Duration = TimeSpan.FromSeconds(2), Concurrency = concurrency, ReadRatio = 0.5, Users = users, Merchants = merchants };
        while (!_stop.IsCancellationRequested)
        {
            _windows.Add(await new WorkloadRunner(target, options, app.Map).RunAsync(CancellationToken.None));
        }
    }
}
