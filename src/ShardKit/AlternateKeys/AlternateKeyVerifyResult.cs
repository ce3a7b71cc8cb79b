namespace ShardKit.AlternateKeys;

/// <summary>The outcome of <see cref="AlternateKeyStore.VerifyAsync"/>.</summary>
public sealed record AlternateKeyVerifyResult
{
    /// <summary>Mappings naming an order that were checked (those younger than the grace period are not).</summary>
    public required long MappingsChecked { get; init; }

    /// <summary>Keys declared by existing orders that were checked against their mappings.</summary>
    public required long DeclaredKeysChecked { get; init; }

    /// <summary>Every problem found, dangling mappings first.</summary>
    public required IReadOnlyList<AlternateKeyProblem> Problems { get; init; }

    /// <summary>The user shards that could not be checked completely (<c>user:17</c>), with the error.</summary>
    public required IReadOnlyList<string> UnavailableShards { get; init; }

    /// <summary>Problems not repaired.</summary>
    public int Remaining => Problems.Count(p => !p.Repaired);

    /// <summary>Whether every shard was checked and no problem remains.</summary>
    public bool Consistent => Remaining == 0 && UnavailableShards.Count == 0;
}
