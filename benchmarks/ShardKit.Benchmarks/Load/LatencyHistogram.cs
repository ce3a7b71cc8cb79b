using System.Diagnostics;

namespace ShardKit.Benchmarks.Load;

/// <summary>
/// Counts latencies without allocating while recording: 1 µs buckets up to 10 ms, 100 µs buckets up to 1 s,
/// and one bucket for anything slower. One per worker; merged after the run.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int FineBuckets = 10_000;
    private const int CoarseBuckets = 10_000;
    private const int CoarseWidthMicroseconds = 100;
    private readonly long[] _counts = new long[FineBuckets + CoarseBuckets + 1];

    public long Count { get; private set; }

    public void Record(long startTimestamp, long endTimestamp)
    {
        var microseconds = (endTimestamp - startTimestamp) * 1_000_000 / Stopwatch.Frequency;
        var bucket = microseconds < FineBuckets
            ? (int)microseconds
            : (int)Math.Min(FineBuckets + ((microseconds - FineBuckets) / CoarseWidthMicroseconds), FineBuckets + CoarseBuckets);
        _counts[bucket]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The latency in milliseconds below which <paramref name="percentile"/> percent of the operations completed (upper bucket edge).</summary>
    public double PercentileMilliseconds(double percentile)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var target = (long)Math.Ceiling(Count * percentile / 100);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= target)
            {
                var upperMicroseconds = i < FineBuckets ? i + 1 : FineBuckets + ((i - FineBuckets + 1) * (long)CoarseWidthMicroseconds);
                return upperMicroseconds / 1000.0;
            }
        }

        return double.PositiveInfinity;
    }
}
