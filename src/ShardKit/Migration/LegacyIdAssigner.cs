using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// Gives legacy orders their ShardKit order IDs (with the user's and the merchant's genes): claims each legacy ID in the
/// <see cref="ILegacyIdMap"/> (claim-if-absent, so a retry gets the ID of the first claim) and records the ID and the
/// bucket on the legacy row if it has none yet.
/// </summary>
internal sealed class LegacyIdAssigner
{
    private readonly ShardMap _map;
    private readonly ILegacyIdMap _legacyIds;
    private readonly OrderIdGenerator _ids;
    private readonly string _assign;

    public LegacyIdAssigner(ShardMap map, ILegacyIdMap legacyIds, OrderIdGenerator ids, LegacySource source)
    {
        _map = map;
        _legacyIds = legacyIds;
        _ids = ids;
        _assign = source.Sql("UPDATE {orders} SET shardkit_order_id = @OrderId, shardkit_bucket = @Bucket WHERE order_id = @LegacyId AND shardkit_order_id IS NULL");
    }

    /// <summary>Returns the ShardKit ID of every row (legacy ID → order ID), assigning one to each row that has none.</summary>
    /// <exception cref="InvalidOperationException">A row's recorded ID is not the one the map links to its legacy ID.</exception>
    public async Task<Dictionary<long, OrderId>> AssignAsync(DbConnection source, DbTransaction? transaction, IReadOnlyList<LegacyRowKey> rows, CancellationToken cancellationToken)
    {
        var candidates = rows.Select(r => (r.LegacyId, r.UserId, r.OrderId is { } existing ? OrderId.FromValidatedValue(existing) : _ids.Next(r.UserId, r.MerchantId))).ToList();
        var claimed = await _legacyIds.ClaimAsync(candidates, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<long, OrderId>(rows.Count);
        var updates = new List<object>();
        foreach (var row in rows)
        {
            var orderId = claimed[row.LegacyId];
            if (row.OrderId is { } existing && existing != orderId.Value)
            {
                throw new InvalidOperationException($"Legacy order {row.LegacyId} carries ShardKit ID {existing}, but the legacy ID map links it to {orderId}.");
            }

            if (row.OrderId is null)
            {
                updates.Add(new { OrderId = orderId.Value, Bucket = _map.RouteUser(row.UserId).Shard, row.LegacyId });
            }

            result[row.LegacyId] = orderId;
        }

        if (updates.Count > 0)
        {
            await source.ExecuteAsync(new CommandDefinition(_assign, updates, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return result;
    }
}
