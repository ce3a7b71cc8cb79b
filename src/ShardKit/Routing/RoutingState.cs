using System.Data.Common;
using ShardKit.Replication;

namespace ShardKit.Routing;

/// <summary>A compiled map, the pool of each of its clusters' primaries and their replica sets, swapped as one reference.</summary>
internal sealed class RoutingState
{
    public RoutingState(ShardMap map, DbDataSource[] primaries, ReplicaSet[] replicas, TimeSpan causalReadWait)
    {
        Map = map;
        Primaries = primaries;
        Replicas = replicas;
        CausalReadWait = causalReadWait;
    }

    public ShardMap Map { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public DbDataSource[] Primaries { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public ReplicaSet[] Replicas { get; }

    /// <summary>How long a replica may take to apply a causal token before the read goes elsewhere.</summary>
    public TimeSpan CausalReadWait { get; }
}
