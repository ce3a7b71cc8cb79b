namespace ShardKit.Replication;

/// <summary>
/// What the background prober knows about one replica: its latest measured lag and whether it is ejected, with the
/// hysteresis of <see cref="ReplicaHealthOptions"/> (ejected above <c>EjectLag</c> or after <c>EjectAfterFailures</c>
/// failed probes in a row; re-admitted after <c>ReadmitAfterProbes</c> probes in a row below <c>ReadmitLag</c>).
/// </summary>
internal sealed class ReplicaHealth
{
    /// <summary>The lag value before any measurement.</summary>
    public const long Unknown = -1;

    private readonly Lock _lock = new();
    private long _lagMilliseconds = Unknown;
    private volatile bool _ejected;
    private int _failures;
    private int _goodProbes;

    /// <summary>The latest measured lag in milliseconds, or <see cref="Unknown"/>.</summary>
    public long LagMilliseconds => Volatile.Read(ref _lagMilliseconds);

    public bool IsEjected => _ejected;

    public int ConsecutiveFailures => Volatile.Read(ref _failures);

    /// <summary>Whether the replica may serve a read that allows at most <paramref name="maxLagMilliseconds"/> of lag (negative: any).</summary>
    public bool IsEligible(long maxLagMilliseconds)
    {
        if (_ejected)
        {
            return false;
        }

        if (maxLagMilliseconds < 0)
        {
            return true;
        }

        var lag = LagMilliseconds;
        return lag != Unknown && lag <= maxLagMilliseconds;
    }

    /// <summary>Records a probe that measured <paramref name="lagMilliseconds"/>; returns the ejection change it caused.</summary>
    public HealthTransition RecordLag(long lagMilliseconds, ReplicaHealthOptions options)
    {
        lock (_lock)
        {
            Volatile.Write(ref _lagMilliseconds, lagMilliseconds);
            _failures = 0;
            if (lagMilliseconds > (long)options.EjectLag.TotalMilliseconds)
            {
                _goodProbes = 0;
                return Eject();
            }

            if (!_ejected)
            {
                return HealthTransition.None;
            }

            _goodProbes = lagMilliseconds < (long)options.ReadmitLag.TotalMilliseconds ? _goodProbes + 1 : 0;
            if (_goodProbes < options.ReadmitAfterProbes)
            {
                return HealthTransition.None;
            }

            _goodProbes = 0;
            _ejected = false;
            return HealthTransition.Readmitted;
        }
    }

    /// <summary>
    /// Records a probe that reached the replica but could not measure its lag (the primary's heartbeat could not be
    /// written, or the replica has no heartbeat row yet): the failure count restarts, the lag and ejection stay as they are.
    /// </summary>
    public void RecordReachable()
    {
        lock (_lock)
        {
            _failures = 0;
        }
    }

    /// <summary>Records a failed probe; returns the ejection change it caused.</summary>
    public HealthTransition RecordFailure(ReplicaHealthOptions options)
    {
        lock (_lock)
        {
            _goodProbes = 0;
            _failures++;
            return _failures >= options.EjectAfterFailures ? Eject() : HealthTransition.None;
        }
    }

    private HealthTransition Eject()
    {
        if (_ejected)
        {
            return HealthTransition.None;
        }

        _ejected = true;
        return HealthTransition.Ejected;
    }
}
