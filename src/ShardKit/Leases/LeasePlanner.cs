namespace ShardKit.Leases;

/// <summary>
/// The fair-share rule, a pure function of the lease table: with <c>S</c> shards on a cluster and <c>M</c> live
/// instances (a recent membership row or an unexpired lease), each instance's target is <c>ceil(S / M)</c>.
/// An instance below its target claims free shards up to it; free shards that the other instances' shortfall cannot
/// absorb are claimed too, so a shard with no live holder is always taken (as the targets add up to at least the shard
/// count, this only happens when holders appear or vanish between two reads). An instance above its target gives up only
/// what the others need beyond the free shards, so nothing moves back and forth once every instance is at its share.
/// </summary>
internal static class LeasePlanner
{
    /// <param name="holder">This instance's holder ID.</param>
    /// <param name="shards">The user shards the current map places on the cluster.</param>
    /// <param name="rows">The cluster's lease rows of this kind.</param>
    /// <param name="liveHolders">The holders whose membership row is unexpired.</param>
    public static LeasePlan Plan(string holder, IReadOnlyCollection<int> shards, IReadOnlyList<LeaseRow> rows, IReadOnlyCollection<string> liveHolders)
    {
        var onCluster = new HashSet<int>(shards);
        var live = rows.Where(r => r.Live && r.Holder.Length > 0).ToList();
        var stray = live.Where(r => r.Holder == holder && !onCluster.Contains(r.Shard)).Select(r => r.Shard).ToList();
        var counted = live.Where(r => onCluster.Contains(r.Shard)).ToList();
        var counts = counted.GroupBy(r => r.Holder, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var holders = new HashSet<string>(liveHolders, StringComparer.Ordinal) { holder };
        holders.UnionWith(counts.Keys);

        var held = counted.Where(r => r.Holder == holder).Select(r => r.Shard).OrderBy(s => Rank(holder, s)).ToList();
        var taken = counted.Select(r => r.Shard).ToHashSet();
        var free = onCluster.Where(s => !taken.Contains(s)).OrderBy(s => Rank(holder, s)).ToList();
        var target = onCluster.Count == 0 ? 0 : (onCluster.Count + holders.Count - 1) / holders.Count;
        var othersShort = holders.Where(h => h != holder).Sum(h => Math.Max(target - counts.GetValueOrDefault(h), 0));

        var want = Math.Max(target - held.Count, 0);
        var claimCount = Math.Min(free.Count, want) + Math.Max(free.Count - want - othersShort, 0);
        var releaseCount = held.Count > target ? Math.Min(held.Count - target, Math.Max(othersShort - free.Count, 0)) : 0;

        // Each instance prefers its own order of shards, so concurrent claimers rarely reach for the same rows; the
        // least preferred held shards are the ones given up.
        var release = held.Skip(held.Count - releaseCount).Concat(stray).ToList();
        return new LeasePlan(held.Take(held.Count - releaseCount).Order().ToList(), free.Take(claimCount).ToList(), release, target, holders.Count);
    }

    private static uint Rank(string holder, int shard)
    {
        var hash = 2166136261u;
        foreach (var c in holder)
        {
            hash = (hash ^ c) * 16777619u;
        }

        hash = (hash ^ (uint)shard) * 16777619u;
        hash ^= hash >> 15;
        return hash * 2246822519u;
    }
}
