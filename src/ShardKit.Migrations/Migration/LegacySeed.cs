using System.Globalization;
using System.Text;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// The legacy monolith's order schema (auto-increment keys, no shard genes, no version) and a script that fills it with
/// order history, for tests and the demo. Deterministic for a given seed.
/// </summary>
internal static class LegacySeed
{
    public const string Database = "legacy";

    public const string Schema = $"""
        CREATE DATABASE IF NOT EXISTS `{Database}` CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS `{Database}`.`orders` (
            order_id     BIGINT        NOT NULL AUTO_INCREMENT,
            user_id      BIGINT        NOT NULL,
            merchant_id  BIGINT        NOT NULL,
            status       VARCHAR(32)   NOT NULL,
            total_amount DECIMAL(18,2) NOT NULL,
            currency     CHAR(3)       NOT NULL,
            created_at   DATETIME(6)   NOT NULL,
            updated_at   DATETIME(6)   NOT NULL,
            ext          JSON          NULL,
            PRIMARY KEY (order_id),
            KEY ix_user (user_id, created_at)
        ) ENGINE = InnoDB;
        CREATE TABLE IF NOT EXISTS `{Database}`.`order_items` (
            order_id   BIGINT        NOT NULL,
            line_no    INT           NOT NULL,
            sku        VARCHAR(64)   NOT NULL,
            quantity   INT           NOT NULL,
            unit_price DECIMAL(18,2) NOT NULL,
            PRIMARY KEY (order_id, line_no)
        ) ENGINE = InnoDB;
        """;

    /// <summary>The schema and <paramref name="orders"/> orders (keys 1..N) of <paramref name="users"/> users at <paramref name="merchants"/> merchants, 1–3 items each.</summary>
    public static string Script(int orders, int users, int merchants, int seed)
    {
        var random = new Random(seed);
        var sql = new StringBuilder(Schema);
        var start = new DateTime(2025, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        const int batch = 500;
        for (var first = 1; first <= orders; first += batch)
        {
            var last = Math.Min(orders, first + batch - 1);
            var orderRows = new List<string>();
            var itemRows = new List<string>();
            for (var id = first; id <= last; id++)
            {
                var items = random.Next(1, 4);
                var created = start.AddMinutes(id * 7.5 + random.Next(0, 5));
                orderRows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"({id}, {random.Next(1, users + 1)}, {random.Next(1, merchants + 1)}, '{(random.Next(3) == 0 ? "delivered" : "paid")}', {items * 9.5m}, 'EUR', '{created:yyyy-MM-dd HH:mm:ss.ffffff}', '{created.AddMinutes(30):yyyy-MM-dd HH:mm:ss.ffffff}', {(id % 3 == 0 ? "NULL" : "'{\"channel\":\"web\"}'")})"));
                for (var line = 1; line <= items; line++)
                {
                    itemRows.Add(string.Create(CultureInfo.InvariantCulture, $"({id}, {line}, 'SKU-{random.Next(1, 500)}', {random.Next(1, 4)}, 9.50)"));
                }
            }

            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO `{Database}`.`orders` (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, ext) VALUES {string.Join(", ", orderRows)};\n");
            sql.Append(CultureInfo.InvariantCulture, $"INSERT INTO `{Database}`.`order_items` (order_id, line_no, sku, quantity, unit_price) VALUES {string.Join(", ", itemRows)};\n");
        }

        return sql.ToString();
    }
}
