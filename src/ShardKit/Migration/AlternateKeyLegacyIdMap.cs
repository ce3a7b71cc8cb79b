namespace ShardKit.Migration;

/// <summary>
/// The legacy ID links kept in the alternate-key mapping layer (<see cref="AlternateKeyStore"/>): key kind
/// <c>legacy-order-id</c>, value the legacy ID, target the order's user and ShardKit order ID. Claims are
/// <see cref="AlternateKeyStore.GetOrClaimAsync"/>: the first claim wins and later ones return it.
/// </summary>
internal sealed class AlternateKeyLegacyIdMap : ILegacyIdMap
{
    public const string Kind = "legacy-order-id";
    private const int Parallelism = 8;

    private readonly AlternateKeyStore _keys;

    public AlternateKeyLegacyIdMap(AlternateKeyStore keys)
    {
        _keys = keys;
    }

    public static AlternateKey Key(long legacyId) => new(Kind, legacyId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async Task<IReadOnlyDictionary<long, OrderId>> ClaimAsync(IReadOnlyList<(long LegacyId, long UserId, OrderId Candidate)> candidates, CancellationToken cancellationToken)
    {
        var claimed = new System.Collections.Concurrent.ConcurrentDictionary<long, OrderId>();
        await Parallel.ForEachAsync(candidates, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (candidate, ct) =>
        {
            var claim = await _keys.GetOrClaimAsync(Key(candidate.LegacyId), new AlternateKeyTarget(candidate.UserId, candidate.Candidate), ct).ConfigureAwait(false);
            claimed[candidate.LegacyId] = claim.Mapping.Target.OrderId
                ?? throw new InvalidOperationException($"The alternate key {Kind}:{candidate.LegacyId} names user {claim.Mapping.Target.UserId} but no order.");
        }).ConfigureAwait(false);
        return claimed;
    }

    public async Task<OrderId?> FindAsync(long legacyId, CancellationToken cancellationToken)
    {
        // A mapping may look dangling while its order is still on the legacy side; the order ID is what is needed here.
        var lookup = await _keys.LookupAsync(Key(legacyId), cancellationToken).ConfigureAwait(false);
        return lookup?.Target.OrderId;
    }
}
