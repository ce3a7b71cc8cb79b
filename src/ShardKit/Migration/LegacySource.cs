using System.Data;
using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The legacy database as the migration sees it: its <c>orders</c> (legacy auto-increment key <c>order_id</c>) and
/// <c>order_items</c>, the columns the plan adds (<c>version</c>, <c>shardkit_order_id</c>, <c>shardkit_bucket</c>), and
/// the migration's own tables next to them: the fence (one row per bucket), the change table and the tombstones.
/// Every SQL text here names tables with the schema, like <see cref="ShardConnection.Sql"/> does on a shard.
/// </summary>
internal sealed class LegacySource
{
    /// <summary>The columns of an order as <see cref="OrderReader.Columns"/> reads them, with the ShardKit ID first.</summary>
    public const string Columns = "shardkit_order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext";

    private static readonly string[] s_prepare =
    [
        "ALTER TABLE {orders} ADD COLUMN IF NOT EXISTS version BIGINT NOT NULL DEFAULT 1",
        "ALTER TABLE {orders} ADD COLUMN IF NOT EXISTS shardkit_order_id BIGINT NULL",
        "ALTER TABLE {orders} ADD COLUMN IF NOT EXISTS shardkit_bucket SMALLINT NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_shardkit_order ON {orders} (shardkit_order_id)",
        "CREATE INDEX IF NOT EXISTS ix_shardkit_bucket ON {orders} (shardkit_bucket, shardkit_order_id)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_fence` (
            bucket    SMALLINT   NOT NULL,
            authority VARCHAR(8) NOT NULL,
            capture   TINYINT(1) NOT NULL,
            epoch     INT        NOT NULL,
            PRIMARY KEY (bucket)
        ) ENGINE = InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_changes` (
            seq       BIGINT   NOT NULL AUTO_INCREMENT,
            bucket    SMALLINT NOT NULL,
            legacy_id BIGINT   NOT NULL,
            PRIMARY KEY (seq),
            KEY ix_bucket (bucket, seq)
        ) ENGINE = InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_tombstones` (
            legacy_id   BIGINT      NOT NULL,
            order_id    BIGINT      NULL,
            user_id     BIGINT      NOT NULL,
            merchant_id BIGINT      NOT NULL,
            created_at  DATETIME(6) NOT NULL,
            deleted_at  DATETIME(6) NOT NULL,
            version     BIGINT      NOT NULL,
            PRIMARY KEY (legacy_id),
            UNIQUE KEY ux_order (order_id)
        ) ENGINE = InnoDB
        """,
    ];

    /// <summary>
    /// The built-in schema's canonical order form (<see cref="CanonicalRow.BuiltIn"/>) over the legacy tables: the ShardKit ID
    /// is <c>shardkit_order_id</c> and the items join by the legacy key, so an order hashes as its shard copy does.
    /// </summary>
    private static readonly CanonicalRow s_canonical = new(MerchantCopyPlan.BuiltIn, orderId: "o.`shardkit_order_id`", childKey: "o.`order_id`");

    private readonly string _orders;
    private readonly string _items;
    private readonly string _schema;

    public LegacySource(string database)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        Database = database;
        _schema = "`" + database.Replace("`", "``", StringComparison.Ordinal) + "`";
        _orders = _schema + ".`orders`";
        _items = _schema + ".`order_items`";
        FenceShared = Sql("SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE bucket = @Bucket LOCK IN SHARE MODE");
        FenceExclusive = Sql("SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE bucket = @Bucket FOR UPDATE");
        SetFence = Sql("UPDATE {schema}.`shardkit_fence` SET authority = @Authority, capture = @Capture, epoch = @Epoch WHERE bucket = @Bucket");
        ReadFences = Sql("SELECT bucket, authority, capture, epoch FROM {schema}.`shardkit_fence` ORDER BY bucket");
                ReadChanges = Sql("SELECT seq, bucket, legacy_id FROM {schema}.`shardkit_changes` WHERE seq <= @UpTo ORDER BY seq LIMIT @Limit");
        ReadBucketChanges = Sql("SELECT seq, bucket, legacy_id FROM {schema}.`shardkit_changes` WHERE bucket = @Bucket AND seq <= @UpTo ORDER BY seq LIMIT @Limit");
        LastChange = Sql("SELECT IFNULL(MAX(seq), 0) FROM {schema}.`shardkit_changes`");
        DeleteChanges = Sql("DELETE FROM {schema}.`shardkit_changes` WHERE seq IN @Seqs");
        CountChanges = Sql("SELECT bucket, COUNT(*) FROM {schema}.`shardkit_changes` GROUP BY bucket");
        FindLegacy = Sql("SELECT order_id, version FROM {orders} WHERE shardkit_order_id = @OrderId");
        ReadOrder = Sql("SELECT " + Columns + " FROM {orders} WHERE order_id = @LegacyId");
        ReadItems = Sql("SELECT line_no, sku, quantity, unit_price FROM {order_items} WHERE order_id = @LegacyId ORDER BY line_no");
        ReadTombstone = Sql("SELECT legacy_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId");
        Aggregate = Sql(s_canonical.Aggregate + " WHERE o.shardkit_bucket = @Bucket");
        ReadStates = Sql("""
            SELECT order_id, shardkit_order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext
            FROM {orders} WHERE shardkit_order_id IN @Ids;
            SELECT i.order_id, i.line_no, i.sku, i.quantity, i.unit_price FROM {order_items} i
            JOIN {orders} o ON o.order_id = i.order_id WHERE o.shardkit_order_id IN @Ids ORDER BY i.order_id, i.line_no;
            SELECT order_id, legacy_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id IN @Ids
            """);
        // A row written since the last drain may have no ShardKit ID yet: the aggregate counts it, so the bucket still differs.
        Rows = Sql(s_canonical.Rows + " WHERE o.shardkit_bucket = @Bucket AND o.shardkit_order_id IS NOT NULL");
    }

    /// <summary>The legacy schema's name.</summary>
    public string Database { get; }

    /// <summary>The quoted items table, for <see cref="OrderReader.InsertItemsAsync(DbConnection, string, long, IReadOnlyList{OrderLine}, DbTransaction, CancellationToken)"/>.</summary>
    public string ItemsTable => _items;

    public string FenceShared { get; }

    public string FenceExclusive { get; }

    public string SetFence { get; }

    public string ReadFences { get; }

    public string ReadChanges { get; }

    public string ReadBucketChanges { get; }

    /// <summary>The highest change sequence number so far (0 when the table is empty).</summary>
    public string LastChange { get; }

    public string DeleteChanges { get; }

    public string CountChanges { get; }

    public string FindLegacy { get; }

    public string ReadOrder { get; }

    public string ReadItems { get; }

    public string ReadTombstone { get; }

    /// <summary>Rows, items (joined by the legacy key) and tombstones of many orders (<c>@Ids</c>), three result sets.</summary>
    public string ReadStates { get; }

    /// <summary>Count and XOR of the canonical row hashes of one bucket (<c>@Bucket</c>).</summary>
    public string Aggregate { get; }

    /// <summary>ShardKit ID, version and canonical hash of every order of one bucket (<c>@Bucket</c>).</summary>
    public string Rows { get; }

    /// <summary>Expands <c>{orders}</c>, <c>{order_items}</c> and <c>{schema}</c> to the legacy schema's quoted names.</summary>
    public string Sql(string template) => template
        .Replace("{orders}", _orders, StringComparison.Ordinal)
        .Replace("{order_items}", _items, StringComparison.Ordinal)
        .Replace("{schema}", _schema, StringComparison.Ordinal);

    /// <summary>Adds the migration's columns and tables to the legacy schema and one fence row per bucket (idempotent).</summary>
    public async Task PrepareAsync(DbConnection connection, int buckets, CancellationToken cancellationToken)
    {
        foreach (var statement in s_prepare)
        {
            await connection.ExecuteAsync(new CommandDefinition(Sql(statement), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            Sql("INSERT IGNORE INTO {schema}.`shardkit_fence` (bucket, authority, capture, epoch) VALUES (@Bucket, 'source', 0, 0)"),
            Enumerable.Range(0, buckets).Select(b => new { Bucket = b }).ToList(),
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var statement in LegacyCapture.CreateTriggers(this, buckets))
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The keys of the legacy orders <paramref name="legacyIds"/> names, live or deleted (their tombstones), with the ShardKit ID
    /// each has recorded (null when none yet).
    /// </summary>
    public async Task<List<(LegacyRowKey Key, bool Deleted)>> ReadKeysAsync(DbConnection connection, IReadOnlyList<long> legacyIds, CancellationToken cancellationToken)
    {
        var keys = await connection.QueryAsync<(long LegacyId, long UserId, long MerchantId, long? OrderId, bool Deleted)>(new CommandDefinition(
            Sql("""
                SELECT order_id, user_id, merchant_id, shardkit_order_id, 0 FROM {orders} WHERE order_id IN @Ids
                UNION ALL
                SELECT t.legacy_id, t.user_id, t.merchant_id, t.order_id, 1 FROM {schema}.`shardkit_tombstones` t
                WHERE t.legacy_id IN @Ids AND NOT EXISTS (SELECT 1 FROM {orders} o WHERE o.order_id = t.legacy_id)
                """),
            new { Ids = legacyIds.ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return keys.Select(k => (new LegacyRowKey(k.LegacyId, k.UserId, k.MerchantId, k.OrderId), k.Deleted)).ToList();
    }

    /// <summary>Records claimed ShardKit IDs on the tombstones that have none yet (orders deleted before any copy recorded their ID).</summary>
    public async Task RecordTombstoneIdsAsync(DbConnection connection, IReadOnlyList<LegacyRowKey> deleted, IReadOnlyDictionary<long, OrderId> claimed, CancellationToken cancellationToken)
    {
        foreach (var key in deleted.Where(k => k.OrderId is null))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                Sql("UPDATE {schema}.`shardkit_tombstones` SET order_id = @OrderId WHERE legacy_id = @LegacyId AND order_id IS NULL"),
                new { OrderId = claimed[key.LegacyId].Value, key.LegacyId },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a bucket's fence row under a shared (writers) or exclusive (cutover) lock; null when the fence table or row is missing.</summary>
    public async Task<FenceState?> ReadFenceAsync(DbConnection connection, DbTransaction transaction, int bucket, bool exclusive, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string Authority, bool Capture, int Epoch)?>(new CommandDefinition(
            exclusive ? FenceExclusive : FenceShared, new { Bucket = bucket }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r ? new FenceState(FenceState.Parse(r.Authority), r.Capture, r.Epoch) : null;
    }

    /// <summary>
    /// The current state of an order on the source: the row with its items, or its tombstone (<see cref="UserSideState.Deleted"/>),
    /// or null when the source has no trace of it. With <paramref name="locking"/> the rows are read under shared locks.
    /// </summary>
    public async Task<(UserSideState State, long LegacyId)?> ReadStateAsync(DbConnection connection, DbTransaction transaction, OrderId orderId, bool locking, CancellationToken cancellationToken)
    {
        var suffix = locking ? " LOCK IN SHARE MODE" : "";
        var found = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long Version)?>(new CommandDefinition(
            FindLegacy + suffix, new { OrderId = orderId.Value }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (found is { } legacy)
        {
            var orders = await OrderReader.QueryOrdersAsync(connection, ReadOrder + suffix, new { legacy.LegacyId }, transaction, cancellationToken).ConfigureAwait(false);
            if (orders.Count == 1)
            {
                var items = await ReadItemsAsync(connection, transaction, legacy.LegacyId, suffix, cancellationToken).ConfigureAwait(false);
                return (new UserSideState(OrderReader.With(orders[0], items), deleted: false), legacy.LegacyId);
            }
        }

        var tombstone = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long UserId, long MerchantId, DateTime CreatedAt, DateTime DeletedAt, long Version)?>(new CommandDefinition(
            ReadTombstone + suffix, new { OrderId = orderId.Value }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (tombstone is not { } t)
        {
            return null;
        }

        var order = new OrderRecord
        {
            Id = orderId,
            UserId = t.UserId,
            MerchantId = t.MerchantId,
            Status = "",
            TotalAmount = 0m,
            Currency = "",
            CreatedAt = OrderReader.Utc(t.CreatedAt),
            UpdatedAt = OrderReader.Utc(t.DeletedAt),
            Version = t.Version,
        };
        return (new UserSideState(order, deleted: true), t.LegacyId);
    }

    /// <summary>
    /// The current state of many orders in one round trip (one snapshot of <paramref name="transaction"/>): their rows with
    /// items, or their tombstones; orders the source has no trace of are left out. Without locks (the drains' read).
    /// </summary>
    public async Task<List<(UserSideState State, long LegacyId)>> ReadStatesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<OrderId> orderIds, CancellationToken cancellationToken)
    {
        var states = new List<(UserSideState, long)>(orderIds.Count);
        if (orderIds.Count == 0)
        {
            return states;
        }

        var rows = new List<(OrderRecord Order, long LegacyId)>();
        var items = new Dictionary<long, List<OrderLine>>();
        var live = new HashSet<long>();
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            ReadStates, new { Ids = orderIds.Select(o => o.Value).ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var order = new OrderRecord
                {
                    Id = OrderId.FromValidatedValue(reader.GetInt64(1)),
                    UserId = reader.GetInt64(2),
                    MerchantId = reader.GetInt64(3),
                    Status = reader.GetString(4),
                    TotalAmount = reader.GetDecimal(5),
                    Currency = reader.GetString(6),
                    CreatedAt = OrderReader.Utc(reader.GetDateTime(7)),
                    UpdatedAt = OrderReader.Utc(reader.GetDateTime(8)),
                    Version = reader.GetInt64(9),
                    Ext = reader.IsDBNull(10) ? null : reader.GetString(10),
                };
                rows.Add((order, reader.GetInt64(0)));
                live.Add(order.Id.Value);
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var legacyId = reader.GetInt64(0);
                if (!items.TryGetValue(legacyId, out var list))
                {
                    items[legacyId] = list = [];
                }

                list.Add(new OrderLine { LineNo = reader.GetInt32(1), Sku = reader.GetString(2), Quantity = reader.GetInt32(3), UnitPrice = reader.GetDecimal(4) });
            }

            foreach (var (order, legacyId) in rows)
            {
                states.Add((new UserSideState(OrderReader.With(order, items.TryGetValue(legacyId, out var list) ? list : []), deleted: false), legacyId));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var orderId = reader.GetInt64(0);
                if (live.Contains(orderId))
                {
                    continue;
                }

                var order = new OrderRecord
                {
                    Id = OrderId.FromValidatedValue(orderId),
                    UserId = reader.GetInt64(2),
                    MerchantId = reader.GetInt64(3),
                    Status = "",
                    TotalAmount = 0m,
                    Currency = "",
                    CreatedAt = OrderReader.Utc(reader.GetDateTime(4)),
                    UpdatedAt = OrderReader.Utc(reader.GetDateTime(5)),
                    Version = reader.GetInt64(6),
                };
                states.Add((new UserSideState(order, deleted: true), reader.GetInt64(1)));
            }
        }

        return states;
    }

    public async Task<List<OrderLine>> ReadItemsAsync(DbConnection connection, DbTransaction? transaction, long legacyId, string suffix, CancellationToken cancellationToken)
    {
        var items = new List<OrderLine>();
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            ReadItems + suffix, new { LegacyId = legacyId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(new OrderLine { LineNo = reader.GetInt32(0), Sku = reader.GetString(1), Quantity = reader.GetInt32(2), UnitPrice = reader.GetDecimal(3) });
            }
        }

        return items;
    }

    /// <summary>Begins a transaction on a legacy connection (REPEATABLE READ unless told otherwise).</summary>
    public static ValueTask<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken, IsolationLevel isolationLevel = IsolationLevel.RepeatableRead) =>
        connection.BeginTransactionAsync(isolationLevel, cancellationToken);
}
