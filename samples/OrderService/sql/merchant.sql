-- The OrderService sample's tables on a merchant shard (the merchant copy ShardKit writes after each order write).
-- Applied to every merchant shard with: shardkit schema apply --config topo.json --sql sql/merchant.sql --dimension merchant
-- The same shop_orders and shop_order_lines as on the user shards (MerchantCopy: All); no shop_order_notes.
CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;

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
    KEY ix_shop (shop_id, created_at, id)
) ENGINE = InnoDB;

CREATE TABLE IF NOT EXISTS {shop_order_lines} (
    order_id    BIGINT        NOT NULL,
    line_no     INT           NOT NULL,
    sku         VARCHAR(64)   NOT NULL,
    quantity    INT           NOT NULL,
    unit_price  DECIMAL(12,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
) ENGINE = InnoDB;
