using System.Collections.Concurrent;
using Dapper;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Watches every user shard during a migration and records each order whose version (its row's, or its tombstone's once
/// deleted) is ever lower than a version seen before, or that vanishes without a tombstone: guarantee 3, a target row's
/// version never goes backwards. Each sample of a shard is one statement, so one consistent snapshot.
/// </summary>
internal sealed class VersionMonitor
{
    private const string Versions = """
        SELECT order_id, MAX(version) FROM (
            SELECT order_id, version FROM {orders}
            UNION ALL
            SELECT order_id, version FROM {schema}.`shardkit_tombstones`) v
        GROUP BY order_id
        """;

    private readonly ShardKitDataSource _shards;
    private readonly Dictionary<long, long> _highest = [];
    private long _samples;

    public VersionMonitor(ShardKitDataSource shards)
    {
        _shards = shards;
    }

    /// <summary>Each order that went backwards, with the versions seen.</summary>
    public ConcurrentQueue<string> Backwards { get; } = new();

    /// <summary>How many times every shard was sampled.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>Samples every user shard until <paramref name="cancellationToken"/> is cancelled (a shard that cannot be reached is skipped for that round).</summary>
    public Task RunAsync(TimeSpan interval, CancellationToken cancellationToken) => VersionMonitor.RepeatAsync(SampleAsync, interval, cancellationToken);

    /// <summary>Runs <paramref name="sample"/> every <paramref name="interval"/> until <paramref name="cancellationToken"/> is cancelled.</summary>
    public static async Task RepeatAsync(Func<Task> sample, TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await sample();
            try
            {
                await Task.Delay(interval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round over every user shard.</summary>
    public async Task SampleAsync()
    {
        foreach (var route in _shards.Map.GetRoutes(ShardDimension.User))
        {
            Dictionary<long, long> seen;
            try
            {
                await using var shard = await _shards.OpenAsync(route, ShardIntent.Write);
                seen = (await shard.Connection.QueryAsync<(long OrderId, long Version)>(shard.Sql(Versions))).ToDictionary(r => r.OrderId, r => r.Version);
            }
            catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException)
            {
                continue;   // a server being restarted: its versions are checked again when it is back
            }

            lock (_highest)
            {
                foreach (var (orderId, version) in seen)
                {
                    if (_highest.TryGetValue(orderId, out var before) && version < before)
                    {
                        Backwards.Enqueue($"order {orderId} on {route.Name}: v{before}, then v{version}");
                    }

                    _highest[orderId] = Math.Max(version, before);
                }

                foreach (var (orderId, before) in _highest.Where(h => OrderId.FromValidatedValue(h.Key).UserShard == route.Shard && !seen.ContainsKey(h.Key)).ToList())
                {
                    Backwards.Enqueue($"order {orderId} on {route.Name}: v{before}, then gone without a tombstone");
                    _highest.Remove(orderId);
                }
            }
        }

        Interlocked.Increment(ref _samples);
    }
}
