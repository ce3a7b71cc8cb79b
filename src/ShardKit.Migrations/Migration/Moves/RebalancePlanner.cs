namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// Plans the fewest shard moves that spread a dimension's logical shards evenly over a list of clusters. Each cluster gets
/// ⌊n/k⌋ or ⌈n/k⌉ shards (the larger quotas go to the clusters that hold the most now, so fewer shards move); a cluster over its
/// quota keeps its lowest shards and gives away the rest; shards on clusters not in the list are all given away; the shards given
/// away go, in shard order, to the clusters under quota in list order. From 2 clusters to 4, each new cluster so takes a
/// contiguous quarter: the upper half of each old cluster's range. The number of moves is the minimum: the sum of every
/// cluster's excess over its quota.
/// </summary>
internal static class RebalancePlanner
{
    /// <param name="dimension">The dimension the shards belong to (carried into the moves).</param>
    /// <param name="current">The cluster serving each shard, indexed by shard.</param>
    /// <param name="clusters">The clusters to spread over, in order.</param>
    /// <exception cref="ArgumentException">No clusters, an empty or repeated cluster name.</exception>
    public static IReadOnlyList<PlannedMove> Plan(ShardDimension dimension, IReadOnlyList<string> current, IReadOnlyList<string> clusters)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(clusters);
        if (clusters.Count == 0)
        {
            throw new ArgumentException("--clusters is empty: name the clusters to spread the shards over (for example c0,c1,c2,c3).", nameof(clusters));
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var cluster in clusters)
        {
            if (string.IsNullOrWhiteSpace(cluster))
            {
                throw new ArgumentException("--clusters has an empty cluster name.", nameof(clusters));
            }

            if (!names.Add(cluster))
            {
                throw new ArgumentException($"--clusters names cluster '{cluster}' twice.", nameof(clusters));
            }
        }

        var held = clusters.Select(c => Enumerable.Range(0, current.Count).Where(s => string.Equals(current[s], c, StringComparison.OrdinalIgnoreCase)).ToList()).ToList();
        var quota = Quotas(current.Count, held.Select(h => h.Count).ToList());
        var freed = Enumerable.Range(0, current.Count).Where(s => !names.Contains(current[s])).ToList();
        for (var c = 0; c < clusters.Count; c++)
        {
            freed.AddRange(held[c].Skip(quota[c]));
        }

        freed.Sort();
        var moves = new List<PlannedMove>(freed.Count);
        var next = 0;
        for (var c = 0; c < clusters.Count; c++)
        {
            for (var need = quota[c] - held[c].Count; need > 0; need--)
            {
                var shard = freed[next++];
                moves.Add(new PlannedMove(dimension, shard, current[shard], clusters[c]));
            }
        }

        moves.Sort((a, b) => a.Shard.CompareTo(b.Shard));
        return moves;
    }

    /// <summary>⌊n/k⌋ each, plus one for the n mod k clusters that hold the most now (ties: the first listed).</summary>
    private static int[] Quotas(int shards, List<int> held)
    {
        var quota = new int[held.Count];
        var extra = shards % held.Count;
        var byHeld = Enumerable.Range(0, held.Count).OrderByDescending(c => held[c]).ThenBy(c => c).ToList();
        for (var i = 0; i < byHeld.Count; i++)
        {
            quota[byHeld[i]] = (shards / held.Count) + (i < extra ? 1 : 0);
        }

        return quota;
    }
}
