using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// Read throughput with 0, 1 and 2 replicas per cluster: point reads by order ID through <see cref="ShardKitDataSource"/>
/// with <see cref="ShardIntent.Read"/> (PreferReplica; with 0 replicas the primary serves them), against the same reads
/// directly on the primary's pool (baseline). Each invocation runs <see cref="OperationsPerInvoke"/> reads over
/// <see cref="Concurrency"/> concurrent tasks, so Mean is the time per read (1 / throughput). All servers share the
/// machine's cores: more replicas add capacity only where the servers, not the client, are the bottleneck.
/// </summary>
[MemoryDiagnoser]
public class ReplicaReadThroughputBenchmarks
{
    private const int OperationsPerInvoke = 64;
    private const int Concurrency = 16;
    private ReplicaBenchmarkTopology _topology = null!;
    private int _next;

    [GlobalSetup]
    public void Setup() => _topology = ReplicaBenchmarkTopology.Shared;

    [Benchmark(Baseline = true, OperationsPerInvoke = OperationsPerInvoke)]
    public Task DirectOnPrimary() => RunAsync(async index =>
    {
        await using var connection = await _topology.PrimaryPool.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(_topology.DirectSql[index], new { Id = _topology.Orders[index].Value });
    });

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task ZeroReplicas() => ReadThroughAsync(_topology.ByReplicaCount[0]);

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task OneReplica() => ReadThroughAsync(_topology.ByReplicaCount[1]);

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public Task TwoReplicas() => ReadThroughAsync(_topology.ByReplicaCount[2]);

    private Task ReadThroughAsync(ShardKitDataSource shards) => RunAsync(async index =>
    {
        await using var shard = await shards.OpenOrderShardAsync(_topology.Orders[index], ShardDimension.User, ShardIntent.Read);
        return await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(ReplicaBenchmarkTopology.PointRead), new { Id = _topology.Orders[index].Value });
    });

    private Task RunAsync(Func<int, Task<long>> read)
    {
        var tasks = new Task[Concurrency];
        for (var t = 0; t < Concurrency; t++)
        {
            tasks[t] = Task.Run(async () =>
            {
                for (var i = 0; i < OperationsPerInvoke / Concurrency; i++)
                {
                    var index = (int)((uint)Interlocked.Increment(ref _next) % ReplicaBenchmarkTopology.OrderCount);
                    await read(index);
                }
            });
        }

        return Task.WhenAll(tasks);
    }
}
