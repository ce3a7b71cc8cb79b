using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// The cost of a causal read: a point read on a replica with a causal token the replica has already applied (one
/// <c>MASTER_GTID_WAIT</c> round trip before the read) against the same read without a token (baseline), one at a time,
/// through the same data source (one cluster, two replicas).
/// </summary>
[MemoryDiagnoser]
public class CausalReadBenchmarks
{
    private ReplicaBenchmarkTopology _topology = null!;
    private ShardKitDataSource _shards = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _topology = ReplicaBenchmarkTopology.Shared;
        _shards = _topology.ByReplicaCount[2];
    }

    [Benchmark(Baseline = true)]
    public Task<long> PlainReplicaRead() => ReadAsync(token: null);

    [Benchmark]
    public Task<long> CausalReplicaRead() => ReadAsync(_topology.Token);

    private async Task<long> ReadAsync(CausalToken? token)
    {
        var index = (int)((uint)Interlocked.Increment(ref _next) % ReplicaBenchmarkTopology.OrderCount);
        var orderId = _topology.Orders[index];
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ReadPreference.PreferReplica, token);
        return await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(ReplicaBenchmarkTopology.PointRead), new { Id = orderId.Value });
    }
}
