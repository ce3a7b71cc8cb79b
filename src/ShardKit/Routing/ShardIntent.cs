namespace ShardKit.Routing;

/// <summary>What the caller means to do on a shard, stated explicitly on every routed open.</summary>
/// <remarks>
/// <see cref="Write"/> is always served by the shard's primary. <see cref="Read"/> means
/// <see cref="ReadPreference.PreferReplica"/> outside a transaction: it may be served by a replica and see
/// slightly stale data. To read your own writes, pass a <see cref="CausalToken"/> or <see cref="ReadPreference.Primary"/>
/// to the overloads that take a <see cref="ReadPreference"/>.
/// </remarks>
public enum ShardIntent
{
    /// <summary>The caller only reads; a replica may serve it (see <see cref="ReadPreference.PreferReplica"/>).</summary>
    Read = 0,

    /// <summary>The caller writes (or reads what it must not see stale).</summary>
    Write = 1,
}
