namespace ShardKit.AlternateKeys;

/// <summary>One stored alternate-key mapping: the key, what it points at, and when it was claimed.</summary>
/// <param name="Key">The alternate key.</param>
/// <param name="Target">The user (and order) it points at.</param>
/// <param name="CreatedAt">When the key was claimed (UTC, microseconds).</param>
public sealed record AlternateKeyMapping(AlternateKey Key, AlternateKeyTarget Target, DateTimeOffset CreatedAt);
