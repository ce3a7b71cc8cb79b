namespace ShardKit.Orders;

/// <summary>
/// The DDL the two-dimension writes add to the built-in order schema: the outbox and the tombstones of deleted
/// orders in every user shard, and the tombstone flag of the merchant copy. Idempotent (<c>IF NOT EXISTS</c>).
/// </summary>
internal static class DimensionSchema
{
    /// <summary>Applied to the user dimension, after the built-in script.</summary>
    public const string UserScript = """
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

    /// <summary>Applied to the merchant dimension, after the built-in script: a deleted order stays as a tombstone row.</summary>
    public const string MerchantScript = """
        ALTER TABLE {orders} ADD COLUMN IF NOT EXISTS deleted TINYINT(1) NOT NULL DEFAULT 0;
        """;
}
