namespace ShardKit.Testing;

/// <summary>What a server does in a local topology.</summary>
public enum MariaDbRole
{
    /// <summary>A cluster's writable primary.</summary>
    Primary,

    /// <summary>A read-only replica of a cluster's primary (GTID replication).</summary>
    Replica,

    /// <summary>The standalone pre-sharding monolith.</summary>
    Legacy,
}
