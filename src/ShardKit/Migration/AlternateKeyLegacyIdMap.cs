namespace ShardKit.Migration;

/// <summary>
/// The legacy ID links kept in the alternate-key mapping layer (<see cref="AlternateKeyStore"/>): key kind
/// <c>legacy-order-id</c>, value the legacy ID, target the order's user and ShardKit order ID. Claims are
/// claim-if-absent (<see cref="AlternateKeyStore.GetOrClaimAsync"/>, batched per mapping shard): the first claim wins and
/// later ones return it.
/// </summary>
internal sealed class AlternateKeyLegacyIdMap : ILegacyIdMap
{
    public const string Kind = "legacy-order-id";
    private readonly AlternateKeyStore _keys;

    public AlternateKeyLegacyIdMap(AlternateKeyStore keys)
    {
        _keys = keys;
    }

    public static AlternateKey Key(long legacyId) => new(Kind, legacyId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async Task<IReadOnlyDictionary<long, OrderId>> ClaimAsync(IReadOnlyList<(long LegacyId, long UserId, OrderId Candidate)> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            return new Dictionary<long, OrderId>();
        }

        // One batch claim: a round trip per mapping shard, with GetOrClaim's semantics (an existing mapping wins).
        var mappings = await _keys.GetOrClaimManyAsync(
            candidates.Select(c => (Key(c.LegacyId), new AlternateKeyTarget(c.UserId, c.Candidate))).ToList(), cancellationToken).ConfigureAwait(false);
        var claimed = new Dictionary<long, OrderId>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var target = mappings[Key(candidate.LegacyId)].Target;
            claimed[candidate.LegacyId] = target.OrderId
                ?? throw new InvalidOperationException($"The alternate key {Kind}:{candidate.LegacyId} names user {target.UserId} but no order.");
        }

        return claimed;
    }

    public async Task<OrderId?> FindAsync(long legacyId, CancellationToken cancellationToken)
    {
        // A mapping may look dangling while its order is still on the legacy side; the order ID is what is needed here.
        var lookup = await _keys.LookupAsync(Key(legacyId), cancellationToken).ConfigureAwait(false);
        return lookup?.Target.OrderId;
    }
}
