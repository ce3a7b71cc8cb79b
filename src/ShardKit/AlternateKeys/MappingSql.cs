namespace ShardKit.AlternateKeys;

/// <summary>
/// The SQL of the alternate-key mappings. <c>shardkit_key_mappings</c> lives in the user shard chosen by the key's hash
/// (<see cref="AlternateKey.GetShard"/>); <c>shardkit_order_keys</c> lives with the order in its user shard and lists
/// the keys the order was created with, so a missing mapping can be found and re-created. Tables: see
/// <see cref="Schema.OrderSchema"/>.
/// </summary>
internal static class MappingSql
{
    public const string Mappings = "{schema}.`shardkit_key_mappings`";
    public const string OrderKeys = "{schema}.`shardkit_order_keys`";

    /// <summary>Takes no lock on an existing key beyond a shared one, so concurrent claims of one key never deadlock.</summary>
    public const string Claim = "INSERT IGNORE INTO " + Mappings + " (kind, key_value, user_id, order_id, created_at) VALUES (@Kind, @Value, @UserId, @OrderId, @Now)";

    public const string Select = "SELECT user_id, order_id, created_at FROM " + Mappings + " WHERE kind = @Kind AND key_value = @Value";

    public const string SelectMany = "SELECT kind, key_value, user_id, order_id, created_at FROM " + Mappings;

    public const string Release = "DELETE FROM " + Mappings + " WHERE kind = @Kind AND key_value = @Value";

    public const string ReleaseTarget = Release + " AND user_id = @UserId AND order_id <=> @OrderId";

    /// <summary>Whether the order <c>@OrderId</c> is in its user shard's root table.</summary>
    public static string OrderExists(DeclaredTable root) => $"SELECT COUNT(*) FROM {root.Placeholder} WHERE `{root.OrderIdColumn}` = @OrderId";

    /// <summary>Which of <c>@OrderIds</c> are in the shard's root table.</summary>
    public static string ExistingOrders(DeclaredTable root) => $"SELECT `{root.OrderIdColumn}` FROM {root.Placeholder} WHERE `{root.OrderIdColumn}` IN @OrderIds";

    /// <summary>Keyset over the mappings that name an order, in primary-key order.</summary>
    public const string ScanOrderMappings = """
        SELECT kind, key_value, user_id, order_id, created_at FROM {schema}.`shardkit_key_mappings`
        WHERE order_id IS NOT NULL AND (kind > @Kind OR (kind = @Kind AND key_value > @Value))
        ORDER BY kind, key_value LIMIT @Limit
        """;

    /// <summary>Removes a mapping only if it still names the same order and is still older than the grace period.</summary>
    public const string RemoveDangling = "DELETE FROM " + Mappings + " WHERE kind = @Kind AND key_value = @Value AND order_id = @OrderId AND created_at < @Cutoff";

    public const string InsertOrderKey = InsertOrderKeysPrefix + "(@OrderId, @Kind, @Value)";

    /// <summary>The start of a multi-row insert into <c>shardkit_order_keys</c>: append the rows.</summary>
    public const string InsertOrderKeysPrefix = "INSERT INTO " + OrderKeys + " (order_id, kind, key_value) VALUES ";

    public const string LockOrderKeys = "SELECT kind, key_value FROM " + OrderKeys + " WHERE order_id = @OrderId FOR UPDATE";

    public const string DeleteOrderKeys = "DELETE FROM " + OrderKeys + " WHERE order_id = @OrderId";

    /// <summary>Keyset over the declared keys of the orders still present, in primary-key order.</summary>
    public static string ScanOrderKeys(DeclaredTable root) => $"""
        SELECT k.order_id, o.`{root.UserIdColumn}`, k.kind, k.key_value FROM {"{schema}"}.`shardkit_order_keys` k
        JOIN {root.Placeholder} o ON o.`{root.OrderIdColumn}` = k.order_id
        WHERE k.order_id > @OrderId OR (k.order_id = @OrderId AND (k.kind > @Kind OR (k.kind = @Kind AND k.key_value > @Value)))
        ORDER BY k.order_id, k.kind, k.key_value LIMIT @Limit
        """;
}
