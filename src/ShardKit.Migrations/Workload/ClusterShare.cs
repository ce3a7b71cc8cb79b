namespace ShardKit.Migrations.Workload;

/// <summary>The orders written to one cluster's user shards.</summary>
internal sealed record ClusterShare(string Cluster, string Shards, int ShardCount, long Orders);
