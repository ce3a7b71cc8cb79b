namespace ShardKit.CrossShard;

/// <summary>A cluster that did not answer a cross-shard statement, and why.</summary>
internal sealed record ClusterFailure(ClusterPart Part, Exception Error);
