namespace ShardKit.AlternateKeys;

/// <summary>What <see cref="AlternateKeyStore.VerifyAsync"/> found wrong with an alternate key.</summary>
public enum AlternateKeyProblemKind
{
    /// <summary>The mapping names an order that is not in its user shard (and is older than the grace period).</summary>
    Dangling,

    /// <summary>An order was created with the key, but no mapping for the key exists.</summary>
    Missing,

    /// <summary>An order was created with the key, but the key's mapping names a different target.</summary>
    Conflicting,
}
