using System.Text.Json.Nodes;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// A team's own order tables, deliberately unlike ShardKit's built-in schema: a root table of 23 columns of many types
/// (JSON, DATETIME(6), DECIMAL, ENUM, BLOB, nullable columns, a generated column, a unique secondary key) with its own
/// key-column names, a child table whose merchant copy keeps a projection, and a child table kept on user shards only.
/// </summary>
public static class TeamSchema
{
    private const string Database = """
        CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;

        """;

    /// <summary>The root table, the same on both dimensions.</summary>
    private const string Root = """
        CREATE TABLE IF NOT EXISTS {trade_orders} (
            id              BIGINT         NOT NULL,
            buyer_id        BIGINT         NOT NULL,
            shop_id         BIGINT         NOT NULL,
            row_version     BIGINT         NOT NULL DEFAULT 1,
            trade_no        VARCHAR(40)    NOT NULL,
            state           ENUM('created','paid','shipped','done','cancelled') NOT NULL DEFAULT 'created',
            goods_amount    DECIMAL(18,2)  NOT NULL,
            freight         DECIMAL(10,2)  NOT NULL DEFAULT 0.00,
            discount        DECIMAL(10,2)  NULL,
            total           DECIMAL(18,2)  AS (goods_amount + freight - IFNULL(discount, 0)) STORED,
            currency        CHAR(3)        NOT NULL,
            buyer_note      VARCHAR(512)   NULL,
            invoice_title   VARCHAR(128)   NULL,
            address         JSON           NULL,
            attributes      JSON           NULL,
            signature       BLOB           NULL,
            paid_at         DATETIME(6)    NULL,
            shipped_at      DATETIME(6)    NULL,
            created_at      DATETIME(6)    NOT NULL,
            updated_at      DATETIME(6)    NOT NULL,
            channel         TINYINT        NOT NULL DEFAULT 0,
            is_gift         BOOLEAN        NOT NULL DEFAULT FALSE,
            risk_score      DOUBLE         NULL,
            PRIMARY KEY (id),
            UNIQUE KEY uk_trade_no (trade_no),
            KEY ix_buyer (buyer_id, created_at),
            KEY ix_shop (shop_id, created_at)
        ) ENGINE = InnoDB;

        """;

    /// <summary>The user shards' DDL (placeholders expand to each shard's tables).</summary>
    public const string UserDdl = Database + Root + """
        CREATE TABLE IF NOT EXISTS {order_payments} (
            order_id    BIGINT        NOT NULL,
            payment_no  INT           NOT NULL,
            method      VARCHAR(16)   NOT NULL,
            amount      DECIMAL(18,2) NOT NULL,
            paid_at     DATETIME(6)   NULL,
            gateway_raw JSON          NULL,
            PRIMARY KEY (order_id, payment_no)
        ) ENGINE = InnoDB;

        CREATE TABLE IF NOT EXISTS {order_audit} (
            order_id   BIGINT       NOT NULL,
            seq        INT          NOT NULL,
            actor      VARCHAR(64)  NOT NULL,
            action     VARCHAR(32)  NOT NULL,
            at         DATETIME(6)  NOT NULL,
            PRIMARY KEY (order_id, seq)
        ) ENGINE = InnoDB;
        """;

    /// <summary>The merchant shards' DDL: the whole root table, the payments' projection, no audit table.</summary>
    public const string MerchantDdl = Database + Root + """
        CREATE TABLE IF NOT EXISTS {order_payments} (
            order_id    BIGINT        NOT NULL,
            payment_no  INT           NOT NULL,
            amount      DECIMAL(18,2) NOT NULL,
            paid_at     DATETIME(6)   NULL,
            PRIMARY KEY (order_id, payment_no)
        ) ENGINE = InnoDB;
        """;

    /// <summary>The declaration, as a team writes it in its <c>ShardKit:Tables</c> section.</summary>
    public static JsonObject Declaration(Action<JsonObject>? change = null)
    {
        var tables = new JsonObject
        {
            ["Root"] = new JsonObject
            {
                ["Name"] = "trade_orders",
                ["OrderIdColumn"] = "id",
                ["UserIdColumn"] = "buyer_id",
                ["MerchantIdColumn"] = "shop_id",
                ["VersionColumn"] = "row_version",
            },
            ["Children"] = new JsonArray(
                new JsonObject { ["Name"] = "order_payments", ["MerchantCopy"] = "Columns", ["MerchantColumns"] = new JsonArray("payment_no", "amount", "paid_at") },
                new JsonObject { ["Name"] = "order_audit", ["MerchantCopy"] = "None" }),
        };
        change?.Invoke(tables);
        return tables;
    }
}
