namespace ShardKit;

/// <summary>What the caller means to do on a shard, stated explicitly on every routed open.</summary>
/// <remarks>
/// Both intents are served by the shard's primary in this version; <see cref="Read"/> lets a later
/// version send the work to a replica without changing the caller.
/// </remarks>
public enum ShardIntent
{
    /// <summary>The caller only reads.</summary>
    Read = 0,

    /// <summary>The caller writes (or reads what it must not see stale).</summary>
    Write = 1,
}
