namespace ShardKit.Orders;

/// <summary>The SQL that writes the merchant copy of an order.</summary>
internal static class MerchantCopySql
{
    private static readonly string[] s_columns =
        ["user_id", "merchant_id", "status", "total_amount", "currency", "created_at", "updated_at", "ext", "deleted"];

    private const string Insert = """
        INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, ext, deleted, version)
        VALUES (@OrderId, @UserId, @MerchantId, @Status, @TotalAmount, @Currency, @CreatedAt, @UpdatedAt, @Ext, @Deleted, @Version)
        ON DUPLICATE KEY UPDATE
        """;

    /// <summary>
    /// The version-guarded upsert: a row is only overwritten by a strictly newer version. MySQL evaluates the
    /// assignments left to right and later ones see the columns already assigned, so <c>version</c> comes last:
    /// every guard above it still compares with the old version.
    /// </summary>
    public static readonly string GuardedUpsert = Insert + "\n    " + string.Join(
        ",\n    ",
        s_columns.Append("version").Select(c => $"{c} = IF(VALUES(version) > version, VALUES({c}), {c})"));

    /// <summary>The repair upsert: the user side wins whatever the merchant copy holds (used under a lock on the user row).</summary>
    public static readonly string ForcedUpsert = Insert + "\n    " + string.Join(
        ",\n    ",
        s_columns.Append("version").Select(c => $"{c} = VALUES({c})"));

    public const string DeleteItems = "DELETE FROM {order_items} WHERE order_id = @OrderId";

    /// <summary>Hides a merchant row that has no trace at all on the user side (repair only).</summary>
    public const string HideOrphan = "UPDATE {orders} SET deleted = 1 WHERE order_id = @OrderId";
}
