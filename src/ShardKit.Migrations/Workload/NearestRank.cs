namespace ShardKit.Migrations.Workload;

/// <summary>The nearest-rank percentile used by every report of the tool.</summary>
internal static class NearestRank
{
    /// <summary>The <paramref name="quantile"/> (0..1) of <paramref name="sorted"/> (ascending); the default value when it is empty.</summary>
    public static T Of<T>(IReadOnlyList<T> sorted, double quantile)
        where T : struct =>
        sorted.Count == 0 ? default : sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Count) - 1, 0, sorted.Count - 1)];
}
