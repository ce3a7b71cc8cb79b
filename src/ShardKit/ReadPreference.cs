namespace ShardKit;

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
    /// Read from a replica (round-robin among the cluster's replicas), falling back to the primary when the
    /// cluster has none, when the chosen replica cannot be opened, or when a causal token is given and the
    /// replica has not applied it within the wait. The default for <see cref="ShardIntent.Read"/>.
    /// </summary>
    PreferReplica = 1,

    /// <summary>
    /// Read only from a replica; opening throws <see cref="ShardKitException"/> (<see cref="ShardKitErrorCode.ShardUnavailable"/>)
    /// when the cluster has no replica, when the chosen replica cannot be opened, or when it has not applied a given causal token in time.
    /// </summary>
    ReplicaOnly = 2,
}
