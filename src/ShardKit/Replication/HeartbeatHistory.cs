namespace ShardKit.Replication;

/// <summary>
/// The heartbeat values (microseconds of the primary's clock) this process last wrote on one primary, and the lag
/// computation: a replica that shows heartbeat <c>r</c> has applied everything up to <c>r</c> but not the first
/// heartbeat written after it, so its lag is how long that heartbeat has been waiting, measured on the primary's clock
/// (the primary's reading when it was written, plus the time elapsed here since). A replica that shows the newest
/// heartbeat (or a newer one, from another process) has a lag of zero.
/// </summary>
internal sealed class HeartbeatHistory
{
    /// <summary>Heartbeats kept: at 250 ms, lag is measured exactly up to about a minute (beyond it, from the replica's own value).</summary>
    public const int Capacity = 256;

    private readonly long[] _written = new long[Capacity];
    private int _count;
    private int _next;

    /// <summary>Whether the heartbeat table is known to exist on this primary.</summary>
    public bool TableEnsured { get; set; }

    public void Add(long writtenMicroseconds)
    {
        _written[_next] = writtenMicroseconds;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }

    /// <summary>The lag in milliseconds of a replica showing <paramref name="replicaMicroseconds"/> when the primary's clock reads <paramref name="primaryNowMicroseconds"/>.</summary>
    public long LagMilliseconds(long replicaMicroseconds, long primaryNowMicroseconds)
    {
        long oldestUnapplied = long.MaxValue;
        long oldestKept = long.MaxValue;
        for (var i = 0; i < _count; i++)
        {
            var written = _written[i];
            oldestKept = Math.Min(oldestKept, written);
            if (written > replicaMicroseconds && written < oldestUnapplied)
            {
                oldestUnapplied = written;
            }
        }

        if (oldestUnapplied == long.MaxValue)
        {
            return 0;
        }

        // Older than every heartbeat kept while the history is full: the replica's own value is the best bound left.
        var since = _count == Capacity && replicaMicroseconds < oldestKept ? replicaMicroseconds : oldestUnapplied;
        return Math.Max(0, (primaryNowMicroseconds - since) / 1000);
    }
}
