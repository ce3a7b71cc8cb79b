using System.Data.Common;
using System.Text;

namespace ShardKit.Migration;

/// <summary>
/// Gives legacy orders their ShardKit order IDs (with the user's and the merchant's genes): claims each legacy ID in the
/// <see cref="ILegacyIdMap"/> (claim-if-absent, so a retry gets the ID of the first claim) and records the ID and the
/// bucket on the legacy row if it has none yet. A batch of rows costs one batch claim (a round trip per mapping shard)
/// and one <c>UPDATE</c> on the source.
/// </summary>
internal sealed class LegacyIdAssigner
{
    private readonly ShardMap _map;
    private readonly ILegacyIdMap _legacyIds;
    private readonly OrderIdGenerator _ids;
    private readonly LegacySource _source;

    public LegacyIdAssigner(ShardMap map, ILegacyIdMap legacyIds, OrderIdGenerator ids, LegacySource source)
    {
        _map = map;
        _legacyIds = legacyIds;
        _ids = ids;
        _source = source;
    }

    /// <summary>Where the claims' time goes, when set (the backfill's <see cref="CopyProfile"/>).</summary>
    public CopyProfile? Profile { get; set; }

    /// <summary>Returns the ShardKit ID of every row (legacy ID → order ID), assigning one to each row that has none.</summary>
    /// <exception cref="InvalidOperationException">A row's recorded ID is not the one the map links to its legacy ID.</exception>
    public async Task<Dictionary<long, OrderId>> AssignAsync(DbConnection source, DbTransaction? transaction, IReadOnlyList<LegacyRowKey> rows, CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(rows, cancellationToken).ConfigureAwait(false);
        await RecordAsync(source, transaction, rows, claimed, cancellationToken).ConfigureAwait(false);
        return claimed;
    }

    /// <summary>
    /// Claims the legacy ID of every row in the map (a row's recorded ID is its candidate, otherwise a new ID) and returns
    /// the ID each legacy ID holds now. Needs no lock on the source: the first claim of a legacy ID wins for good.
    /// </summary>
    public async Task<Dictionary<long, OrderId>> ClaimAsync(IReadOnlyList<LegacyRowKey> rows, CancellationToken cancellationToken)
    {
        var candidates = rows.Select(r => (r.LegacyId, r.UserId, r.OrderId is { } existing ? OrderId.FromValidatedValue(existing) : _ids.Next(r.UserId, r.MerchantId))).ToList();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var claimed = await _legacyIds.ClaimAsync(candidates, cancellationToken).ConfigureAwait(false);
        Profile?.Add("read.claim", clock.Elapsed);
        return rows.ToDictionary(r => r.LegacyId, r => claimed[r.LegacyId]);
    }

    /// <summary>
    /// Records the claimed IDs (<paramref name="claimed"/> holds every row's legacy ID) on the rows that have none yet, in
    /// one <c>UPDATE</c>; a row that has one must carry the claimed ID.
    /// </summary>
    /// <exception cref="InvalidOperationException">A row's recorded ID is not the one the map links to its legacy ID.</exception>
    public async Task RecordAsync(DbConnection source, DbTransaction? transaction, IReadOnlyList<LegacyRowKey> rows, IReadOnlyDictionary<long, OrderId> claimed, CancellationToken cancellationToken)
    {
        var missing = new List<(long LegacyId, OrderId OrderId)>();
        foreach (var row in rows)
        {
            var orderId = claimed[row.LegacyId];
            if (row.OrderId is { } existing && existing != orderId.Value)
            {
                throw new InvalidOperationException($"Legacy order {row.LegacyId} carries ShardKit ID {existing}, but the legacy ID map links it to {orderId}.");
            }

            if (row.OrderId is null)
            {
                missing.Add((row.LegacyId, orderId));
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        // One UPDATE joined to the (legacy ID, order ID, bucket) rows (a table value constructor, values as literals: one
        // text, no parameter per value), linear in the chunk; a row another writer gave its ID in the meantime keeps it (it
        // got it from the same claim).
        var values = new StringBuilder(missing.Count * 48);
        for (var i = 0; i < missing.Count; i++)
        {
            var (legacyId, orderId) = missing[i];
            values.Append(i == 0 ? "SELECT " : i == 1 ? " UNION ALL VALUES (" : ", (").Append(legacyId).Append(i == 0 ? " AS legacy_id, " : ", ")
                .Append(orderId.Value).Append(i == 0 ? " AS order_id" : ")");
        }

        var sql = _source.Sql(
            $"UPDATE {{root}} o JOIN ({values}) v ON o.{_source.Key} = v.legacy_id SET o.shardkit_order_id = v.order_id WHERE o.shardkit_order_id IS NULL");
        await BatchText.ExecuteAsync(source, transaction, sql, cancellationToken).ConfigureAwait(false);
    }
}
