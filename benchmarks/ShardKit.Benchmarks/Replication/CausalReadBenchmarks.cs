using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// The cost of a causal read: a point read on a replica with a causal token the replica has already applied (one
/// <c>MASTER_GTID_WAIT</c> round trip before the read) against the same read without a token (baseline), one at a time,
/// through the same data source (one cluster, two replicas), and the same read on the primary (what a read-your-write
/// costs without replicas: the causal read's ratio over the primary read's is its price against the primary).
/// </summary>
[MemoryDiagnoser]
public class CausalReadBenchmarks
{
    private ReplicaBenchmarkTopology _topology = null!;
    private ShardKitDataSource _shards = null!;
    private int _next;

    // Synchronous setup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup()
    {
        _topology = ReplicaBenchmarkTopology.Shared;
        _shards = _topology.ByReplicaCount[2];
        EnsureReplicaServesAsync(token: null).GetAwaiter().GetResult();
        EnsureReplicaServesAsync(_topology.Token).GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<long> PlainReplicaRead() => ReadAsync(token: null);

    [Benchmark]
    public Task<long> CausalReplicaRead() => ReadAsync(_topology.Token);

    [Benchmark]
    public Task<long> PrimaryRead() => ReadAsync(token: null, ReadPreference.Primary);

    /// <summary>Both rows must measure a replica read: a token the replicas had not applied would send the read to the primary.</summary>
    private async Task EnsureReplicaServesAsync(CausalToken? token)
    {
        var orderId = _topology.Orders[0];
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, new ReadOptions { CausalToken = token });
        if (!shard.IsReplica)
        {
            throw new InvalidOperationException($"A read with token '{token}' was served by {shard.Endpoint.Address}, not a replica.");
        }
    }

    private async Task<long> ReadAsync(CausalToken? token, ReadPreference preference = ReadPreference.PreferReplica)
    {
        var index = (int)((uint)Interlocked.Increment(ref _next) % ReplicaBenchmarkTopology.OrderCount);
        var orderId = _topology.Orders[index];
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, new ReadOptions { Preference = preference, CausalToken = token });
        return await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(ReplicaBenchmarkTopology.PointRead), new { Id = orderId.Value });
    }
}
