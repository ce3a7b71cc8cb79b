using System.Collections.Concurrent;

namespace ShardKit.Orders;

/// <summary>
/// Decides whether a write applies its merchant copy inline or leaves it to the relay at once, per merchant cluster.
/// After an inline copy to a cluster fails (unreachable, breaker open, out of its time budget), copies to that cluster
/// are left to the relay for a pause that doubles with every further failure (from <see cref="FirstPause"/> up to
/// <see cref="MaxPause"/>); when the pause is over, one write tries again (the others keep skipping until it succeeds).
/// A dead merchant cluster so costs a write on a healthy user cluster nothing but the outbox row it writes anyway, and
/// the state of one cluster never holds back copies to another.
/// </summary>
internal sealed class InlineCopyGate(TimeProvider time)
{
    public static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ClusterState> _clusters = new(StringComparer.Ordinal);

    /// <summary>Whether a copy to <paramref name="cluster"/> may be tried inline now.</summary>
    public bool TryEnter(string cluster)
    {
        if (!_clusters.TryGetValue(cluster, out var state))
        {
            return true;
        }

        lock (state)
        {
            if (state.Failures == 0)
            {
                return true;
            }

            if (state.Probing || time.GetTimestamp() < state.PausedUntil)
            {
                return false;
            }

            // The pause is over: this write is the one probe.
            state.Probing = true;
            return true;
        }
    }

    /// <summary>Records an inline copy to <paramref name="cluster"/> that succeeded.</summary>
    public void OnSuccess(string cluster)
    {
        if (!_clusters.TryGetValue(cluster, out var state))
        {
            return;
        }

        lock (state)
        {
            state.Failures = 0;
            state.Probing = false;
        }
    }

    /// <summary>Gives the probe slot back when the copy was neither a success nor a failure of the cluster (the caller cancelled).</summary>
    public void OnAbandoned(string cluster)
    {
        if (_clusters.TryGetValue(cluster, out var state))
        {
            lock (state)
            {
                state.Probing = false;
            }
        }
    }

    /// <summary>Records an inline copy to <paramref name="cluster"/> that failed; returns the pause that starts now.</summary>
    public TimeSpan OnFailure(string cluster)
    {
        var state = _clusters.GetOrAdd(cluster, static _ => new ClusterState());
        lock (state)
        {
            state.Failures = Math.Min(state.Failures + 1, 30);
            state.Probing = false;
            var pause = RetryBackoff.Delay(state.Failures, FirstPause, MaxPause);
            state.PausedUntil = time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency);
            return pause;
        }
    }

    private sealed class ClusterState
    {
        public int Failures;
        public bool Probing;
        public long PausedUntil;
    }
}
