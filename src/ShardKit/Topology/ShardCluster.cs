namespace ShardKit.Topology;

/// <summary>A physical cluster of the compiled <see cref="ShardMap"/>: a primary and its replicas.</summary>
public sealed class ShardCluster
{
    internal ShardCluster(int index, string name, ShardEndpoint primary, IReadOnlyList<ShardEndpoint> replicas)
    {
        Index = index;
        Name = name;
        Primary = primary;
        Replicas = replicas;
    }

    /// <summary>The cluster's position in <see cref="ShardMap.Clusters"/>.</summary>
    public int Index { get; }

    /// <summary>The cluster's configured name.</summary>
    public string Name { get; }

    /// <summary>The server that takes writes, and the reads that must see them (see <see cref="ReadPreference"/>).</summary>
    public ShardEndpoint Primary { get; }

    /// <summary>The replicas of the primary.</summary>
    public IReadOnlyList<ShardEndpoint> Replicas { get; }

    /// <summary>Returns the cluster name.</summary>
    public override string ToString() => Name;
}
