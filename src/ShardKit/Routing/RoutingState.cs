using System.Data.Common;

namespace ShardKit.Routing;

/// <summary>A compiled map and the pool of each of its clusters' primaries, swapped as one reference.</summary>
internal sealed class RoutingState
{
    public RoutingState(ShardMap map, DbDataSource[] primaries)
    {
        Map = map;
        Primaries = primaries;
    }

    public ShardMap Map { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public DbDataSource[] Primaries { get; }
}
