using System.Diagnostics;

namespace ShardKit.Migration;

/// <summary>
/// The durations of an application instance's recent order operations, kept until the next control poll takes their
/// 99th percentile. The poll publishes it in the writers table, where the migrator's throttle reads it.
/// </summary>
internal sealed class LatencyWindow
{
    private const int Capacity = 1024;

    private readonly double[] _milliseconds = new double[Capacity];
    private readonly Lock _lock = new();
    private int _count;
    private long _seen;

    /// <summary>Records one operation that started at <paramref name="startTimestamp"/> (<see cref="Stopwatch.GetTimestamp"/>).</summary>
    public void Record(long startTimestamp)
    {
        var elapsed = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        lock (_lock)
        {
            // Past the capacity, keep a uniform sample of the interval (reservoir sampling) so a burst does not hide the tail.
            _seen++;
            if (_count < Capacity)
            {
                _milliseconds[_count++] = elapsed;
            }
            else if (Random.Shared.NextInt64(_seen) is var slot && slot < Capacity)
            {
                _milliseconds[slot] = elapsed;
            }
        }
    }

    /// <summary>The nearest-rank 99th percentile of the operations since the last call, in milliseconds; null when there were none.</summary>
    public double? TakeP99()
    {
        double[] samples;
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            samples = _milliseconds[.._count];
            _count = 0;
            _seen = 0;
        }

        Array.Sort(samples);
        var rank = (int)Math.Ceiling(0.99 * samples.Length);
        return samples[Math.Max(rank, 1) - 1];
    }
}
