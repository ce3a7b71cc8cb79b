namespace ShardKit.Schema;

/// <summary>The built-in DDL of a logical shard: its schema and the co-located order tables.</summary>
internal static class OrderSchema
{
    /// <summary>
    /// Idempotent: every statement is <c>IF NOT EXISTS</c>. <c>order_items</c> lives in the same schema as
    /// its order; <c>version</c> is there for later optimistic conflict checks, <c>ext</c> for extension fields.
    /// </summary>
    public const string Script = """
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
}
