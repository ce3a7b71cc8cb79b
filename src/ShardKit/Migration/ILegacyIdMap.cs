namespace ShardKit.Migration;

/// <summary>
/// The link from a legacy auto-increment order ID to the ShardKit order ID its order gets on the shards. Claims are
/// claim-if-absent: the first claim of a legacy ID wins and every later claim returns that same order ID, so a backfill
/// that is retried after a crash gives each legacy order the ID it got the first time.
/// </summary>
internal interface ILegacyIdMap
{
    /// <summary>Claims <paramref name="candidates"/> (legacy ID → the order's user and proposed order ID) and returns the order ID each legacy ID holds now.</summary>
    Task<IReadOnlyDictionary<long, OrderId>> ClaimAsync(IReadOnlyList<(long LegacyId, long UserId, OrderId Candidate)> candidates, CancellationToken cancellationToken);

    /// <summary>The order ID of <paramref name="legacyId"/>, or <see langword="null"/> when it has none yet.</summary>
    Task<OrderId?> FindAsync(long legacyId, CancellationToken cancellationToken);
}
