namespace ShardKit.Migration;

/// <summary>
/// Links legacy orders to their ShardKit order IDs in the <see cref="ILegacyIdMap"/> (the alternate key
/// <c>legacy-order-id</c>, which outlives the legacy tables): an order's own ID if the legacy row carries one
/// (<c>shardkit_order_id</c>: written there by <see cref="MigratingOrderStore"/> or the reverse flow), otherwise the ID
/// derived from its legacy key (<see cref="LegacyOrderIds"/>). Nothing is written to the legacy rows. A batch of rows costs
/// one batch claim (a round trip per mapping shard).
/// </summary>
internal sealed class LegacyIdAssigner
{
    private readonly ShardMap _map;
    private readonly ILegacyIdMap _legacyIds;

    public LegacyIdAssigner(ShardMap map, ILegacyIdMap legacyIds)
    {
        _map = map;
        _legacyIds = legacyIds;
    }

    /// <summary>Where the claims' time goes, when set (the backfill's <see cref="CopyProfile"/>).</summary>
    public CopyProfile? Profile { get; set; }

    /// <summary>Links every row's legacy key to its ID in the map (first link wins) and returns legacy key → ID.</summary>
    /// <exception cref="InvalidOperationException">The map links a legacy key to another ID (its user or merchant changed after it was linked).</exception>
    public async Task<Dictionary<long, OrderId>> LinkAsync(IReadOnlyList<LegacyRowKey> rows, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<long, OrderId>(rows.Count);
        foreach (var row in rows)
        {
            ids[row.LegacyId] = LegacyOrderIds.Of(_map, row);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var linked = await _legacyIds.ClaimAsync(rows.Select(r => (r.LegacyId, r.UserId, ids[r.LegacyId])).ToList(), cancellationToken).ConfigureAwait(false);
        Profile?.Add("read.claim", clock.Elapsed);
        foreach (var (legacyId, id) in ids)
        {
            if (linked[legacyId] != id)
            {
                throw new InvalidOperationException(
                    $"Legacy order {legacyId} is linked to ShardKit ID {linked[legacyId]} (alternate key {AlternateKeyLegacyIdMap.Kind}), but its user and merchant now give it {id}: " +
                    "its user or merchant was changed on the legacy side during the import. Restore them, or delete the order and create it again.");
            }
        }

        return ids;
    }
}
