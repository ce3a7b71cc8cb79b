namespace ShardKit.Migrations.Workload;

/// <summary>How the orders created in a run spread over the user shards (from the shard gene of each new order ID).</summary>
internal sealed record ShardDistribution(
    string Dimension,
    int ShardCount,
    int ShardsWritten,
    long Orders,
    long Min,
    long Max,
    double Mean,
    double StdDev,
    IReadOnlyList<long> PerShard,
    IReadOnlyList<ClusterShare> Clusters)
{
    public static ShardDistribution Create(ShardMap map, long[] perShard)
    {
        var orders = perShard.Sum();
        var mean = perShard.Length == 0 ? 0 : (double)orders / perShard.Length;
        var variance = perShard.Length == 0 ? 0 : perShard.Sum(c => (c - mean) * (c - mean)) / perShard.Length;
        var clusters = map.Clusters
            .Select(cluster =>
            {
                var shards = map.GetRoutes(ShardDimension.User).Where(r => ReferenceEquals(r.Cluster, cluster)).Select(r => r.Shard).ToList();
                return new ClusterShare(cluster.Name, Commands.TopologyCommand.Ranges(shards), shards.Count, shards.Sum(s => perShard[s]));
            })
            .ToList();
        return new ShardDistribution(
            "user",
            perShard.Length,
            perShard.Count(c => c > 0),
            orders,
            perShard.Length == 0 ? 0 : perShard.Min(),
            perShard.Length == 0 ? 0 : perShard.Max(),
            mean,
            Math.Sqrt(variance),
            perShard,
            clusters);
    }
}
