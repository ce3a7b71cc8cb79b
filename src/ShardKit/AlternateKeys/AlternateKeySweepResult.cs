namespace ShardKit.AlternateKeys;

/// <summary>The outcome of <see cref="AlternateKeyStore.SweepAsync"/>.</summary>
public sealed record AlternateKeySweepResult
{
    /// <summary>Mappings naming an order, older than the grace period, whose order was checked.</summary>
    public required long Checked { get; init; }

    /// <summary>Dangling mappings removed.</summary>
    public required long Removed { get; init; }

    /// <summary>The user shards that could not be swept completely (<c>user:17</c>); the next pass tries again.</summary>
    public required IReadOnlyList<string> UnavailableShards { get; init; }
}
