
namespace ShardKit.CrossShard;

/// <summary>The logical shards of a query that live on one cluster: they are read with one statement, in one round trip.</summary>
internal sealed class ClusterPart
{
    public ClusterPart(ShardCluster cluster, ShardSlot[] slots)
    {
        Cluster = cluster;
        Slots = slots;
    }

    public ShardCluster Cluster { get; }

    /// <summary>The shards, in shard order.</summary>
    public ShardSlot[] Slots { get; }

    /// <summary>
    /// Groups the query's shards by cluster: every shard of <paramref name="dimension"/> when <paramref name="shards"/> is
    /// null, else exactly those (each once, in range).
    /// </summary>
    /// <exception cref="ArgumentException">A shard is out of range or listed twice, or the list is empty.</exception>
    public static ClusterPart[] Resolve(ShardMap map, ShardDimension dimension, IReadOnlyList<int>? shards, string paramName)
    {
        var slots = map.Slots(dimension);
        IEnumerable<ShardSlot> chosen = slots;
        if (shards is not null)
        {
            if (shards.Count == 0)
            {
                throw new ArgumentException("The shard list is empty; pass null to query every shard of the dimension.", paramName);
            }

            var seen = new HashSet<int>();
            foreach (var shard in shards)
            {
                if ((uint)shard >= (uint)slots.Length)
                {
                    throw new ArgumentException(
                        $"Shard {shard} is not a {ShardSlot.DimensionName(dimension)} shard: the map has shards 0 to {slots.Length - 1}.", paramName);
                }

                if (!seen.Add(shard))
                {
                    throw new ArgumentException($"Shard {shard} is listed twice.", paramName);
                }
            }

            chosen = seen.Order().Select(s => slots[s]);
        }

        return chosen
            .GroupBy(s => s.Cluster.Index)
            .OrderBy(g => g.Key)
            .Select(g => new ClusterPart(g.First().Cluster, [.. g]))
            .ToArray();
    }
}
