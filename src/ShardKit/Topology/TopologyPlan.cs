namespace ShardKit.Topology;

/// <summary>The validated placement of one dimension: per shard, its schema name and cluster index.</summary>
internal sealed record TopologyPlan(string[] Schemas, int[] ClusterIndexes);
