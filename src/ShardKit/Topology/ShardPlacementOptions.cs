namespace ShardKit.Topology;

/// <summary>Places a range of logical shards on a cluster.</summary>
public sealed class ShardPlacementOptions
{
    /// <summary>A shard index (<c>7</c>) or an inclusive range of them (<c>0-59</c>).</summary>
    public string Shards { get; set; } = "";

    /// <summary>The name of the cluster that serves these shards.</summary>
    public string Cluster { get; set; } = "";
}
