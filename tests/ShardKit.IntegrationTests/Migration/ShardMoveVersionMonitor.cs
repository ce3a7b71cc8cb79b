using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Watches one moving user shard where an application that follows moves reads it (the cluster its map routes the shard to) and
/// records every row of <c>notes</c> or <c>orders</c> whose version is ever lower than one seen before, or that comes back after
/// it was gone (the workloads never reuse a key). Each sample is one statement, so one consistent snapshot.
/// </summary>
internal sealed class ShardMoveVersionMonitor
{
    private readonly ShardMoveTopology _topology;
    private readonly int _shard;
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);
    private readonly HashSet<string> _gone = new(StringComparer.Ordinal);
    private long _samples;

    public ShardMoveVersionMonitor(ShardMoveTopology topology, int shard)
    {
        _topology = topology;
        _shard = shard;
    }

    /// <summary>Each row that went backwards or came back, with the versions seen.</summary>
    public ConcurrentQueue<string> Backwards { get; } = new();

    /// <summary>How many samples were read.</summary>
    public long Samples => Interlocked.Read(ref _samples);

    /// <summary>Samples the shard until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(TimeSpan interval, CancellationToken cancellationToken) => VersionMonitor.RepeatAsync(SampleAsync, interval, cancellationToken);

    /// <summary>One sample of the shard where the application routes it now (skipped when that server cannot be read).</summary>
    public async Task SampleAsync()
    {
        var route = _topology.App.Map.GetRoute(ShardDimension.User, _shard);
        List<(string Key, long Version)> rows;
        try
        {
            var connection = await _topology.OpenClusterAsync(route.Cluster.Name);
            await using (connection)
            {
                rows = (await connection.QueryAsync<(string, long)>(
                    $"SELECT CONCAT('note ', note_id), version FROM `{route.Schema}`.`notes` UNION ALL SELECT CONCAT('order ', order_id), version FROM `{route.Schema}`.`orders`")).ToList();
            }
        }
        catch (Exception ex) when (ex is DbException or ShardKitException)
        {
            return;
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, version) in rows)
        {
            present.Add(key);
            if (_gone.Remove(key))
            {
                Backwards.Enqueue($"{key} came back (v{version}) on {route.Cluster.Name}");
            }

            if (_highest.TryGetValue(key, out var highest) && version < highest)
            {
                Backwards.Enqueue($"{key} went from v{highest} back to v{version} on {route.Cluster.Name}");
            }

            _highest[key] = Math.Max(version, highest);
        }

        foreach (var key in _highest.Keys.Where(k => !present.Contains(k)))
        {
            _gone.Add(key);
        }

        Interlocked.Increment(ref _samples);
    }
}
