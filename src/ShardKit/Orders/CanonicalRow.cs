
namespace ShardKit.Orders;

/// <summary>
/// The canonical form of an order for comparing the dimensions, computed by the server the same way on both sides:
/// every column of the order and its items (by line number) joined with separators, hashed with MD5, and the first
/// 64 bits kept. Sets of rows are compared by count and the XOR of their hashes, which does not depend on row order.
/// </summary>
internal static class CanonicalRow
{
    /// <summary>The merchant gene of an order ID, in SQL over the alias <c>o</c>.</summary>
    public static readonly string MerchantGene =
        $"((o.order_id >> {OrderIdLayout.MerchantGeneShift}) & {OrderIdLayout.GeneMask})";

    /// <summary>The 64-bit row hash (BIGINT UNSIGNED) of the order aliased <c>o</c>.</summary>
    public static readonly string Hash = HashOf("o.order_id");

    /// <summary>
    /// The row hash of the order aliased <c>o</c> whose ShardKit order ID is <paramref name="orderIdColumn"/>; its items are
    /// the rows of <c>{order_items}</c> whose <c>order_id</c> equals <c>o.order_id</c>. The legacy source keeps its own key in
    /// <c>order_id</c> and the ShardKit ID in another column, and hashes to the same value as the shard copy.
    /// </summary>
    public static string HashOf(string orderIdColumn) => $$"""
        CAST(CONV(LEFT(MD5(CONCAT_WS('|', {{orderIdColumn}}, o.user_id, o.merchant_id, o.status, o.total_amount, o.currency,
            o.created_at, o.updated_at, o.version, IFNULL(o.ext, '~'),
            IFNULL((SELECT GROUP_CONCAT(CONCAT_WS(',', i.line_no, i.sku, i.quantity, i.unit_price) ORDER BY i.line_no SEPARATOR ';')
                    FROM {order_items} i WHERE i.order_id = o.order_id), ''))), 16), 16, 10) AS UNSIGNED)
        """;

    /// <summary>Per merchant gene, the count and XOR of the hashes of a user shard's orders.</summary>
    public static readonly string UserAggregate =
        $"SELECT {MerchantGene} AS gene, COUNT(*), BIT_XOR({Hash}) FROM {{orders}} o GROUP BY gene";

    /// <summary>The count and XOR of the hashes of a merchant shard's visible orders.</summary>
    public static readonly string MerchantAggregate =
        $"SELECT COUNT(*), IFNULL(BIT_XOR({Hash}), 0) FROM {{orders}} o";

    /// <summary>Every order of a user shard that belongs to merchant shard <c>@Gene</c>: ID, version, hash.</summary>
    public static readonly string UserRows =
        $"SELECT o.order_id, o.version, {Hash} FROM {{orders}} o WHERE {MerchantGene} = @Gene";

    /// <summary>Every visible order of a merchant shard: ID, version, hash.</summary>
    public static readonly string MerchantRows =
        $"SELECT o.order_id, o.version, {Hash} FROM {{orders}} o";

    /// <summary>One order of a user shard: version, hash.</summary>
    public static readonly string UserRow =
        $"SELECT o.version, {Hash} FROM {{orders}} o WHERE o.order_id = @OrderId";

    /// <summary>One visible order of a merchant shard: version, hash.</summary>
    public static readonly string MerchantRow =
        $"SELECT o.version, {Hash} FROM {{orders}} o WHERE o.order_id = @OrderId";

    /// <summary>Compares two sets of (order ID → version, hash) and lists the differences.</summary>
    public static List<DimensionDifference> Diff(int merchantShard, IReadOnlyDictionary<long, (long Version, ulong Hash)> user, IReadOnlyDictionary<long, (long Version, ulong Hash)> merchant)
    {
        var differences = new List<DimensionDifference>();
        foreach (var (orderId, u) in user)
        {
            if (!merchant.TryGetValue(orderId, out var m))
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.MissingOnMerchant, UserVersion = u.Version });
            }
            else if (m != u)
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.Different, UserVersion = u.Version, MerchantVersion = m.Version });
            }
        }

        foreach (var (orderId, m) in merchant)
        {
            if (!user.ContainsKey(orderId))
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.ExtraOnMerchant, MerchantVersion = m.Version });
            }
        }

        differences.Sort((a, b) => a.OrderId.CompareTo(b.OrderId));
        return differences;
    }
}
