namespace ShardKit.Replication;

/// <summary>
/// How one read is served: which servers may serve it, a causal token, a maximum replica lag and whether the call is
/// essential. Instances are immutable; keep common ones in static fields.
/// </summary>
public sealed class ReadOptions
{
    private static readonly ReadOptions s_primary = new() { Preference = ReadPreference.Primary };
    private static readonly ReadOptions s_replicaOnly = new() { Preference = ReadPreference.ReplicaOnly };

    /// <summary>A replica read (<see cref="ReadPreference.PreferReplica"/>) with the configured maximum lag.</summary>
    public static ReadOptions Default { get; } = new();

    /// <summary>Which servers may serve the read. Default <see cref="ReadPreference.PreferReplica"/>.</summary>
    public ReadPreference Preference { get; init; } = ReadPreference.PreferReplica;

    /// <summary>
    /// A token from an earlier write: a replica serves the read only once it has applied that write. When null, the
    /// latest token of the read's cluster captured by an open <see cref="ShardKitDataSource.ReadYourWrites"/> scope is used.
    /// </summary>
    public CausalToken? CausalToken { get; init; }

    /// <summary>
    /// The largest measured replica lag allowed for this read; replicas behind more (or not measured yet) are skipped.
    /// Null uses <see cref="ReplicaHealthOptions.MaxLag"/>.
    /// </summary>
    public TimeSpan? MaxLag { get; init; }

    /// <summary>
    /// Marks the read as nice-to-have (recommendations, counters): under overload it may use only
    /// <see cref="EndpointResilienceOptions.NonEssentialShare"/> of an endpoint's concurrency and never queues, so it is
    /// shed (<see cref="ShardKitErrorCode.Overloaded"/>) before essential calls are.
    /// </summary>
    public bool NonEssential { get; init; }

    /// <summary>
    /// The options of an essential read with <paramref name="preference"/>, the configured maximum lag and no causal token of
    /// its own (an open <see cref="ShardKitDataSource.ReadYourWrites"/> scope's token still applies), so that a preference can
    /// be passed where options are taken: <c>OpenUserShardAsync(userId, ReadPreference.Primary)</c>. The defined preferences
    /// convert to shared instances (no allocation).
    /// </summary>
    /// <param name="preference">Which servers may serve the read.</param>
    public static implicit operator ReadOptions(ReadPreference preference) => preference switch
    {
        ReadPreference.PreferReplica => Default,
        ReadPreference.Primary => s_primary,
        ReadPreference.ReplicaOnly => s_replicaOnly,
        _ => new ReadOptions { Preference = preference },
    };
}
