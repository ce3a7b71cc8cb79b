namespace ShardKit.CrossShard;

/// <summary>What a cross-shard query does when some clusters do not answer (down, unreachable, or not within the timeout).</summary>
public enum PartialResultPolicy
{
    /// <summary>
    /// Throw <see cref="ShardKitException"/> (<see cref="ShardKitErrorCode.ShardUnavailable"/>) whose message names the
    /// clusters, endpoints and logical shards that did not answer. The default.
    /// </summary>
    Fail = 0,

    /// <summary>Return what the other clusters answered; the result lists the logical shards that did not answer.</summary>
    ReturnPartial = 1,
}
