namespace ShardKit.Replication;

/// <summary>
/// How ShardKit measures replica lag and decides which replicas may serve reads (the <c>ReplicaHealth</c> subsection of
/// <see cref="ShardKitOptions"/>). A background prober writes a heartbeat row on each cluster's primary every
/// <see cref="HeartbeatInterval"/> and reads it back from every replica: a replica's lag is how long the oldest heartbeat it
/// has not applied yet has been waiting, in milliseconds of the primary's clock.
/// </summary>
public sealed class ReplicaHealthOptions
{
    /// <summary>
    /// How often the heartbeat is written and the replicas probed, from 10 ms to 1 minute; <see cref="TimeSpan.Zero"/> turns
    /// probing off (no lag is measured, no replica is ejected for lag; reads with a maximum lag then skip every replica). Default 250 ms.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The largest lag a replica may have to serve a read, for reads that do not set their own
    /// (<see cref="ReadOptions.MaxLag"/>); null for no limit (ejection alone keeps far-behind replicas out). Default null.
    /// </summary>
    public TimeSpan? MaxLag { get; set; }

    /// <summary>A replica whose measured lag is above this is ejected: it serves no read until re-admitted. Default 5 s.</summary>
    public TimeSpan EjectLag { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An ejected replica is re-admitted only after <see cref="ReadmitAfterProbes"/> consecutive probes measured a lag
    /// below this (at most <see cref="EjectLag"/>). Default 1 s.
    /// </summary>
    public TimeSpan ReadmitLag { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A replica is ejected after this many consecutive failed probes (1 to 100). Default 3.</summary>
    public int EjectAfterFailures { get; set; } = 3;

    /// <summary>Consecutive good probes (lag below <see cref="ReadmitLag"/>) an ejected replica needs to serve reads again (1 to 100). Default 3.</summary>
    public int ReadmitAfterProbes { get; set; } = 3;

    /// <summary>
    /// The share of a cluster's replica reads (<see cref="ReadPreference.PreferReplica"/>) that may fall back to the primary
    /// because no replica could serve them, from 0 to 1 (1: no cap). Beyond it such a read fails with a transient
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> instead of flooding the primary. Default 0.2.
    /// </summary>
    public double FallbackShare { get; set; } = 0.2;

    /// <summary>
    /// Fallbacks a cluster may make at once before <see cref="FallbackShare"/> limits them (the size of the token bucket,
    /// 1 to 1,000,000; it starts full and refills by <see cref="FallbackShare"/> per replica read). Default 100.
    /// </summary>
    public int FallbackBurst { get; set; } = 100;
}
