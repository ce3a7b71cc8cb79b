namespace ShardKit.Topology;

/// <summary>A moved logical shard: its cluster now, from <c>shardkit_control.placements</c>, overriding the topology file.</summary>
internal sealed record PlacementOverride(ShardDimension Dimension, int Shard, string Cluster, int Epoch);
