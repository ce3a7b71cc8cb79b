namespace ShardKit.Replication;

/// <summary>Which server of a shard's cluster may serve a read (writes always go to the primary).</summary>
/// <remarks>
/// Inside a ShardKit transaction every open is served by the transaction's connection on the primary,
/// whatever the preference.
/// </remarks>
public enum ReadPreference
{
    /// <summary>Read from the primary: sees every committed write.</summary>
    Primary = 0,

    /// <summary>
    /// Read from an eligible replica (not ejected, within the maximum lag, breaker closed; the one with the fewest
    /// connections held), trying the next one when it cannot be opened or has not applied a given causal token in time;
    /// the primary serves the read when the cluster has no replica or none could, within the cluster's fallback cap
    /// (<see cref="ReplicaHealthOptions.FallbackShare"/>). The default for <see cref="ShardIntent.Read"/>.
    /// </summary>
    PreferReplica = 1,

    /// <summary>
    /// Read only from an eligible replica; opening throws <see cref="ShardKitException"/> (<see cref="ShardKitErrorCode.ShardUnavailable"/>)
    /// when the cluster has no replica, none is eligible, none can be opened, or none has applied a given causal token in time.
    /// </summary>
    ReplicaOnly = 2,
}
