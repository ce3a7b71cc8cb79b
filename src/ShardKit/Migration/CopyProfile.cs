using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace ShardKit.Migration;

/// <summary>
/// Where a copy's time goes: wall time per named phase (summed over parallel work, so phases that overlap can add up to
/// more than the copy took) and round trips per phase. Thread-safe; read by the load tool and the CLI's progress.
/// </summary>
internal sealed class CopyProfile
{
    private readonly ConcurrentDictionary<string, Phase> _phases = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="elapsed"/> and <paramref name="roundTrips"/> to <paramref name="phase"/>.</summary>
    public void Add(string phase, TimeSpan elapsed, int roundTrips = 1)
    {
        var p = _phases.GetOrAdd(phase, static _ => new Phase());
        Interlocked.Add(ref p.Ticks, elapsed.Ticks);
        Interlocked.Add(ref p.RoundTrips, roundTrips);
    }

    /// <summary>Times <paramref name="action"/> as one round trip of <paramref name="phase"/>.</summary>
    public async Task<T> TimeAsync<T>(string phase, Func<Task<T>> action)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            Add(phase, clock.Elapsed);
        }
    }

    public TimeSpan this[string phase] => _phases.TryGetValue(phase, out var p) ? TimeSpan.FromTicks(Interlocked.Read(ref p.Ticks)) : TimeSpan.Zero;

    public override string ToString() =>
        string.Join("; ", _phases.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {TimeSpan.FromTicks(p.Value.Ticks).TotalSeconds:F2} s ({p.Value.RoundTrips} round trips)")));

    private sealed class Phase
    {
        public long Ticks;
        public long RoundTrips;
    }
}
