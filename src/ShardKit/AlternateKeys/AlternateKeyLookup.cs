namespace ShardKit.AlternateKeys;

/// <summary>The outcome of <see cref="AlternateKeyStore.LookupAsync(AlternateKey, CancellationToken)"/> for a key that is mapped.</summary>
/// <param name="Mapping">The stored mapping.</param>
/// <param name="IsDangling">
/// <see langword="true"/> when the mapping names an order that is not in its user shard: the order was deleted, its
/// create failed after the key was claimed, or the create is still in flight. Treat the key as unresolved; the
/// sweeper removes such mappings once they are older than <see cref="AlternateKeyStoreOptions.DanglingGracePeriod"/>.
/// </param>
/// <param name="FromCache">Whether the mapping came from the in-process cache rather than its mapping shard.</param>
public sealed record AlternateKeyLookup(AlternateKeyMapping Mapping, bool IsDangling, bool FromCache)
{
    /// <summary>What the key points at.</summary>
    public AlternateKeyTarget Target => Mapping.Target;
}
