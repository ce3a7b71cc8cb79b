using System.Diagnostics;
using System.Globalization;

namespace ShardKit.Migrations.Workload;

/// <summary>
/// The order workload: <see cref="WorkloadOptions.Concurrency"/> loops that, until the duration is up, create
/// orders for random users and merchants, read orders created earlier back by order ID, list their users' orders
/// and list their merchants' orders (from the merchant copy). Measures every operation and counts the new orders per user shard.
/// </summary>
internal sealed class WorkloadRunner
{
    private static readonly WorkloadOperation[] s_operations = Enum.GetValues<WorkloadOperation>();
    private readonly IOrderWorkloadTarget _target;
    private readonly WorkloadOptions _options;
    private readonly ShardMap _map;
    private readonly long[] _perShard;
    private readonly RecentOrders _recent = new();
    private readonly ErrorSamples _errors = new();

    public WorkloadRunner(IOrderWorkloadTarget target, WorkloadOptions options, ShardMap map)
    {
        if (options.Concurrency < 1)
        {
            throw new ArgumentException($"Concurrency must be at least 1; got {options.Concurrency}.", nameof(options));
        }

        if (options.ReadRatio is < 0 or > 1 || double.IsNaN(options.ReadRatio))
        {
            throw new ArgumentException($"ReadRatio must be between 0 and 1; got {options.ReadRatio.ToString(CultureInfo.InvariantCulture)}.", nameof(options));
        }

        if (options.Duration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Duration must be positive; got {options.Duration}.", nameof(options));
        }

        _target = target;
        _options = options;
        _map = map;
        _perShard = new long[map.GetShardCount(ShardDimension.User)];
    }

    /// <summary>Runs the workload. Operations in flight when the duration is up are finished and counted.</summary>
    /// <param name="cancellationToken">
    /// Aborts the run (Ctrl+C): no new operation starts, those in flight finish (they take milliseconds; cancelling them
    /// would leave server-side work to be torn down), and <see cref="OperationCanceledException"/> is thrown instead of a report.
    /// </param>
    public async Task<WorkloadReport> RunAsync(CancellationToken cancellationToken)
    {
        var recorders = Enumerable.Range(0, _options.Concurrency).Select(_ => new WorkerRecorder()).ToArray();
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(_options.Duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(recorders.Select(recorder => Task.Run(() => LoopAsync(recorder, deadline, cancellationToken), CancellationToken.None)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();
        return CreateReport(recorders, elapsed);
    }

    private async Task LoopAsync(WorkerRecorder recorder, long deadline, CancellationToken cancellationToken)
    {
        var random = new Random(Random.Shared.Next());
        while (Stopwatch.GetTimestamp() < deadline && !cancellationToken.IsCancellationRequested)
        {
            var operation = Choose(random, out var picked);
            var start = Stopwatch.GetTimestamp();
            try
            {
                await ExecuteAsync(operation, random, picked, CancellationToken.None);
                recorder.Record(operation, Stopwatch.GetTimestamp() - start);
            }
            catch (Exception ex)
            {
                recorder.Fail(operation);
                _errors.Add(operation, ex);

                // A dead service fails fast: do not spin.
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    private WorkloadOperation Choose(Random random, out (OrderId OrderId, CausalToken? Token, long UserId, long MerchantId) picked)
    {
        if (random.NextDouble() >= _options.ReadRatio || !_recent.TryPick(random, out var orderId, out var token, out var userId, out var merchantId))
        {
            picked = default;
            return WorkloadOperation.Create;
        }

        picked = (orderId, token, userId, merchantId);
        return random.Next(3) switch
        {
            0 => WorkloadOperation.Get,
            1 => WorkloadOperation.List,
            _ => WorkloadOperation.MerchantList,
        };
    }

    private async Task ExecuteAsync(WorkloadOperation operation, Random random, (OrderId OrderId, CausalToken? Token, long UserId, long MerchantId) picked, CancellationToken cancellationToken)
    {
        var (orderId, token, userId, merchantId) = picked;
        switch (operation)
        {
            case WorkloadOperation.Create:
                var order = NewOrder(random, _options.Users, _options.Merchants);
                var created = await _target.CreateAsync(order, cancellationToken);
                Interlocked.Increment(ref _perShard[created.Id.UserShard]);
                _recent.Add(created.Id, created.Token, order.UserId, order.MerchantId);
                break;
            case WorkloadOperation.Get:
                if (!await _target.GetAsync(orderId, token, cancellationToken))
                {
                    throw new InvalidOperationException($"order {orderId} was created in this run but is not found.");
                }

                break;
            case WorkloadOperation.List:
                if (await _target.ListByUserAsync(userId, _options.ListLimit, cancellationToken) == 0)
                {
                    throw new InvalidOperationException($"user {userId} ordered in this run but has no orders listed.");
                }

                break;
            default:
                // The merchant copy is applied right after each create, so it is there unless that apply failed.
                if (await _target.ListByMerchantAsync(merchantId, _options.ListLimit, cancellationToken) == 0)
                {
                    throw new InvalidOperationException($"merchant {merchantId} was ordered from in this run but has no orders listed.");
                }

                break;
        }
    }

    /// <summary>An order of the workload: a random user of 1..<paramref name="users"/> and merchant of 1..<paramref name="merchants"/>, 1 to 3 lines.</summary>
    internal static WorkloadOrder NewOrder(Random random, long users, long merchants)
    {
        var items = new WorkloadOrderLine[random.Next(1, 4)];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = new WorkloadOrderLine(
                string.Create(CultureInfo.InvariantCulture, $"SKU-{random.Next(1, 5000):D5}"),
                random.Next(1, 6),
                random.Next(100, 10_000) / 100m);
        }

        return new WorkloadOrder(random.NextInt64(1, users + 1), random.NextInt64(1, merchants + 1), items);
    }

    private WorkloadReport CreateReport(WorkerRecorder[] recorders, TimeSpan elapsed)
    {
        var seconds = elapsed.TotalSeconds;
        var operations = s_operations.Select(operation =>
        {
            var ticks = recorders.SelectMany(r => r.Latencies(operation)).ToArray();
            Array.Sort(ticks);
            return new OperationReport(
                Name(operation),
                ticks.Length,
                recorders.Sum(r => r.Errors(operation)),
                ticks.Length / seconds,
                Percentile(ticks, 0.50),
                Percentile(ticks, 0.95),
                Percentile(ticks, 0.99),
                ticks.Length == 0 ? 0 : Milliseconds(ticks[^1]));
        }).ToList();

        var count = operations.Sum(o => o.Count);
        return new WorkloadReport(
            _target.Description,
            seconds,
            _options.Concurrency,
            _options.ReadRatio,
            count,
            operations.Sum(o => o.Errors),
            count / seconds,
            operations,
            ShardDistribution.Create(_map, _perShard.ToArray()),
            _errors.ToList());
    }

    /// <summary>The operation's name in reports: <c>create</c>, <c>get</c>, <c>list</c>, <c>merchant-list</c>.</summary>
    internal static string Name(WorkloadOperation operation) => operation switch
    {
        WorkloadOperation.MerchantList => "merchant-list",
        _ => operation.ToString().ToLowerInvariant(),
    };

    /// <summary>Nearest-rank percentile of sorted Stopwatch ticks, in milliseconds; 0 when there are none.</summary>
    internal static double Percentile(long[] sortedTicks, double percentile) => Milliseconds(NearestRank.Of(sortedTicks, percentile));

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
