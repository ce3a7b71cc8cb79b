-- The OrderService sample's tables on a user shard (the buyer's shard: the truth).
-- Applied to every user shard with: shardkit schema apply --config topo.json --sql sql/user.sql --dimension user
-- {schema} and {shop_orders}, {shop_order_lines}, {shop_order_notes} expand to each shard's schema and tables.
CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;

-- One row per order. Key columns (declared in ShardKit:Tables:Root): id (the ShardKit order ID), buyer_id (picks the
-- user shard), shop_id (picks the merchant shard), revision (the version ShardKit raises on every write).
CREATE TABLE IF NOT EXISTS {shop_orders} (
    id               BIGINT        NOT NULL,
    buyer_id         BIGINT        NOT NULL,
    shop_id          BIGINT        NOT NULL,
    revision         BIGINT        NOT NULL DEFAULT 1,
    state            ENUM('created','paid','shipped','delivered','cancelled') NOT NULL DEFAULT 'created',
    currency         CHAR(3)       NOT NULL,
    total            DECIMAL(18,2) NOT NULL,
    trade_no         VARCHAR(64)   NULL,
    shipping_address JSON          NULL,
    created_at       DATETIME(6)   NOT NULL,
    updated_at       DATETIME(6)   NOT NULL,
    PRIMARY KEY (id),
    KEY ix_buyer (buyer_id, created_at, id)
) ENGINE = InnoDB;

-- The order lines; the merchant shards keep them too (MerchantCopy: All).
CREATE TABLE IF NOT EXISTS {shop_order_lines} (
    order_id    BIGINT        NOT NULL,
    line_no     INT           NOT NULL,
    sku         VARCHAR(64)   NOT NULL,
    quantity    INT           NOT NULL,
    unit_price  DECIMAL(12,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
) ENGINE = InnoDB;

-- The buyer's notes; on user shards only (MerchantCopy: None): the merchant never sees them.
CREATE TABLE IF NOT EXISTS {shop_order_notes} (
    order_id    BIGINT        NOT NULL,
    note_no     INT           NOT NULL,
    body        VARCHAR(500)  NOT NULL,
    written_at  DATETIME(6)   NOT NULL,
    PRIMARY KEY (order_id, note_no)
) ENGINE = InnoDB;
