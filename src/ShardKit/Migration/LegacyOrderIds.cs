using System.Globalization;

namespace ShardKit.Migration;

/// <summary>
/// The ShardKit order ID of a legacy order, derived from its legacy key, user and merchant alone: nothing is claimed or
/// recorded to give a legacy order its ID, and every part of the import (backfill, drains, verify, the application's
/// store) computes the same one, in C# or in SQL. The layout is an ordinary order ID
/// (<see cref="OrderIdLayout"/>): worker <see cref="Worker"/> (reserved: no generator instance may use it), the legacy key
/// in the tick and sequence fields (<c>tick = MinValidTick + key / 8</c>, <c>sequence = key % 8</c>), and the user's and
/// the merchant's genes, so it routes like any other ID. An order written on the legacy side with an ID of its own (by
/// <see cref="MigratingOrderStore"/>, or by the reverse flow) keeps that one (<c>shardkit_order_id</c>).
/// </summary>
internal static class LegacyOrderIds
{
    /// <summary>The worker ID of derived IDs.</summary>
    public const int Worker = OrderIdLayout.LegacyWorkerId;

    /// <summary>The ID of legacy order <paramref name="legacyKey"/> of <paramref name="userId"/> and <paramref name="merchantId"/>.</summary>
    /// <exception cref="InvalidOperationException">The key is not positive, or so large that the ID's time would be in the future.</exception>
    public static OrderId Derive(ShardMap map, long legacyKey, long userId, long merchantId)
    {
        var tick = OrderIdLayout.MinValidTick + (legacyKey >> OrderIdLayout.SequenceBits);
        if (legacyKey <= 0 || tick > OrderIdLayout.TickOf(DateTimeOffset.UtcNow))
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"Legacy order key {legacyKey} cannot be given a ShardKit order ID: the legacy key must be a positive integer below {(OrderIdLayout.TickOf(DateTimeOffset.UtcNow) - OrderIdLayout.MinValidTick) << OrderIdLayout.SequenceBits}."));
        }

        return OrderId.FromValidatedValue(OrderIdLayout.Compose(
            tick, Worker, (int)(legacyKey & OrderIdLayout.SequenceMask), map.RouteUser(userId).Shard, map.RouteMerchant(merchantId).Shard));
    }

    /// <summary>A legacy order's ID: the one it carries (<c>shardkit_order_id</c>), or the one derived from its legacy key.</summary>
    public static OrderId Of(ShardMap map, LegacyRowKey row) =>
        row.OrderId is { } own ? OrderId.FromValidatedValue(own) : Derive(map, row.LegacyId, row.UserId, row.MerchantId);

    /// <summary>The legacy key a derived ID holds, or -1 (no legacy key: keys are positive) for any other ID; a query parameter.</summary>
    public static long KeyOrNone(OrderId id) => KeyOf(id) ?? -1;

    /// <summary>The legacy key a derived ID holds; null when <paramref name="id"/> was not derived (another worker).</summary>
    public static long? KeyOf(OrderId id) => id.WorkerId == Worker
        ? ((id.Value >> OrderIdLayout.TickShift) - OrderIdLayout.MinValidTick) << OrderIdLayout.SequenceBits | ((id.Value >> OrderIdLayout.SequenceShift) & OrderIdLayout.SequenceMask)
        : null;

    /// <summary>The keys of the derived IDs among <paramref name="ids"/>.</summary>
    public static long[] KeysOf(IEnumerable<OrderId> ids) => ids.Select(KeyOf).OfType<long>().ToArray();

    /// <summary><see cref="Derive"/> in SQL over the legacy key, user ID and merchant ID (SQL values).</summary>
    public static string Sql(ShardMap map, string legacyKey, string userId, string merchantId) => string.Create(CultureInfo.InvariantCulture,
        $"((({OrderIdLayout.MinValidTick} + ({legacyKey} >> {OrderIdLayout.SequenceBits})) << {OrderIdLayout.TickShift}) | ({Worker} << {OrderIdLayout.WorkerShift}) | (({legacyKey} & {OrderIdLayout.SequenceMask}) << {OrderIdLayout.SequenceShift}) | ({LegacyCapture.BucketOf(userId, map.GetShardCount(ShardDimension.User))} << {OrderIdLayout.UserGeneShift}) | {LegacyCapture.ShardSql(merchantId, ShardHash.MerchantSalt, map.GetShardCount(ShardDimension.Merchant))})");
}
