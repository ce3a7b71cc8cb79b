using ShardKit.Tables;

namespace ShardKit.Schema;

/// <summary>
/// The built-in DDL of a logical shard, the one schema definition ShardKit applies (<c>shardkit schema apply</c>,
/// <see cref="SchemaApplier"/>, <see cref="TwoDimensionOrderStore.EnsureSchemaAsync"/>). Every shard gets its schema
/// and the co-located order tables; user shards also get the outbox, the tombstones of deleted orders, the
/// alternate-key mappings hashed to them and the keys their orders were created with; both get the tombstones of
/// deleted orders. Idempotent: every statement is <c>IF NOT EXISTS</c>.
/// </summary>
internal static class OrderSchema
{
    /// <summary>
    /// Both dimensions. <c>order_items</c> lives in the same schema as its order; <c>version</c> orders the copies of
    /// the two dimensions, <c>ext</c> holds extension fields.
    /// </summary>
    public const string Common = """
        CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;

        CREATE TABLE IF NOT EXISTS {orders} (
            order_id     BIGINT        NOT NULL,
            user_id      BIGINT        NOT NULL,
            merchant_id  BIGINT        NOT NULL,
            status       VARCHAR(32)   NOT NULL,
            total_amount DECIMAL(18,2) NOT NULL,
            currency     CHAR(3)       NOT NULL,
            created_at   DATETIME(6)   NOT NULL,
            updated_at   DATETIME(6)   NOT NULL,
            version      BIGINT        NOT NULL DEFAULT 1,
            ext          JSON          NULL,
            PRIMARY KEY (order_id),
            KEY ix_user (user_id, created_at),
            KEY ix_merchant (merchant_id, created_at)
        ) ENGINE = InnoDB;

        CREATE TABLE IF NOT EXISTS {order_items} (
            order_id   BIGINT        NOT NULL,
            line_no    INT           NOT NULL,
            sku        VARCHAR(64)   NOT NULL,
            quantity   INT           NOT NULL,
            unit_price DECIMAL(18,2) NOT NULL,
            PRIMARY KEY (order_id, line_no)
        ) ENGINE = InnoDB;
        """;

    /// <summary>
    /// User shards only: the outbox and tombstones of the two-dimension writes, the alternate-key mappings (binary
    /// collation: keys compare ordinally, as they are hashed) and the keys each order was created with.
    /// </summary>
    public const string UserTables = """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_outbox` (
            id              BIGINT       NOT NULL AUTO_INCREMENT,
            order_id        BIGINT       NOT NULL,
            version         BIGINT       NOT NULL,
            op              VARCHAR(8)   NOT NULL,
            created_at      DATETIME(6)  NOT NULL,
            next_attempt_at DATETIME(6)  NOT NULL,
            attempts        INT          NOT NULL DEFAULT 0,
            last_error      VARCHAR(512) NULL,
            applied_at      DATETIME(6)  NULL,
            PRIMARY KEY (id),
            KEY ix_pending (applied_at, next_attempt_at),
            KEY ix_order (order_id, version)
        ) ENGINE = InnoDB;

        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_key_mappings` (
            kind       VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin     NOT NULL,
            key_value  VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            user_id    BIGINT       NOT NULL,
            order_id   BIGINT       NULL,
            created_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (kind, key_value),
            KEY ix_order (order_id)
        ) ENGINE = InnoDB;

        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_order_keys` (
            order_id  BIGINT       NOT NULL,
            kind      VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin     NOT NULL,
            key_value VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            PRIMARY KEY (order_id, kind, key_value)
        ) ENGINE = InnoDB;
        """;

    /// <summary>
    /// Both dimensions: the tombstones of deleted orders. On a user shard a tombstone refuses the reuse of the ID; on a
    /// merchant shard it keeps an older copy (from the relay or a late apply) from bringing the deleted order back.
    /// </summary>
    public const string Tombstones = """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_tombstones` (
            order_id    BIGINT      NOT NULL,
            user_id     BIGINT      NOT NULL,
            merchant_id BIGINT      NOT NULL,
            created_at  DATETIME(6) NOT NULL,
            deleted_at  DATETIME(6) NOT NULL,
            version     BIGINT      NOT NULL,
            PRIMARY KEY (order_id)
        ) ENGINE = InnoDB;
        """;

    /// <summary>The shard's schema, for ShardKit's own tables when the order tables come from a team's DDL.</summary>
    private const string Database = "CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;\n";

    /// <summary>
    /// The columns of the built-in <c>orders</c> table as the server describes them (the <see cref="Common"/> DDL above; keep
    /// the two together). Cross-shard queries on the built-in schema use them without reading a server.
    /// </summary>
    public static readonly IReadOnlyList<ColumnShape> OrdersColumns =
    [
        new("order_id", "bigint", "bigint(20)", IsNullable: false, IsGenerated: false),
        new("user_id", "bigint", "bigint(20)", IsNullable: false, IsGenerated: false),
        new("merchant_id", "bigint", "bigint(20)", IsNullable: false, IsGenerated: false),
        new("status", "varchar", "varchar(32)", IsNullable: false, IsGenerated: false),
        new("total_amount", "decimal", "decimal(18,2)", IsNullable: false, IsGenerated: false),
        new("currency", "char", "char(3)", IsNullable: false, IsGenerated: false),
        new("created_at", "datetime", "datetime(6)", IsNullable: false, IsGenerated: false),
        new("updated_at", "datetime", "datetime(6)", IsNullable: false, IsGenerated: false),
        new("version", "bigint", "bigint(20)", IsNullable: false, IsGenerated: false),
        new("ext", "json", "longtext", IsNullable: true, IsGenerated: false),
    ];

    /// <summary>The columns of the built-in <c>order_items</c> table (the <see cref="Common"/> DDL above).</summary>
    public static readonly IReadOnlyList<ColumnShape> ItemsColumns =
    [
        new("order_id", "bigint", "bigint(20)", IsNullable: false, IsGenerated: false),
        new("line_no", "int", "int(11)", IsNullable: false, IsGenerated: false),
        new("sku", "varchar", "varchar(64)", IsNullable: false, IsGenerated: false),
        new("quantity", "int", "int(11)", IsNullable: false, IsGenerated: false),
        new("unit_price", "decimal", "decimal(18,2)", IsNullable: false, IsGenerated: false),
    ];

    public const string UserScript = Common + "\n" + Tombstones + "\n" + UserTables;

    public const string MerchantScript = Common + "\n" + Tombstones;

    /// <summary>ShardKit's own tables of a dimension, without the order tables (a team that declares its tables creates those).</summary>
    public static string OwnTables(ShardDimension dimension) => Database + (dimension == ShardDimension.User ? Tombstones + "\n" + UserTables : Tombstones);

    /// <summary>The checksum the built-in schema is recorded under in the schema log: both dimensions' scripts together.</summary>
    public static string Checksum { get; } = SqlScript.Checksum(UserScript + "\n" + MerchantScript);

    /// <summary>The checksum ShardKit's own tables (<see cref="OwnTables"/>) are recorded under when a team declares its order tables.</summary>
    public static string OwnTablesChecksum { get; } = SqlScript.Checksum(OwnTables(ShardDimension.User) + "\n" + OwnTables(ShardDimension.Merchant));

    public static string For(ShardDimension dimension) => dimension == ShardDimension.User ? UserScript : MerchantScript;
}
