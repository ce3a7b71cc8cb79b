using System.Globalization;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// The fence and change capture of a shard being moved, enforced by the database on both sides: a one-row fence table
/// <c>shardkit_move_fence</c> (<c>state</c> OPEN, CLOSED or MOVED; <c>cluster</c>, the cluster that serves the shard; the epoch),
/// a change table <c>shardkit_move_changes</c> and, on every other base table of the schema, AFTER INSERT/UPDATE/DELETE triggers
/// that read the fence row <c>LOCK IN SHARE MODE</c> (a cutover's exclusive lock holds them), refuse the write with
/// <c>SIGNAL SQLSTATE '45000'</c> naming the shard and its cluster when the fence is not OPEN, and otherwise log the row's key in
/// the write's own transaction. A migrator's session (<see cref="MigratorSession"/>: the mover's own writes) passes without either.
/// </summary>
internal static class MoveFence
{
    public const string FenceTable = "shardkit_move_fence";
    public const string ChangeTable = "shardkit_move_changes";
    public const string TablePrefix = "shardkit_move_";
    public const string TriggerPrefix = "skmv_";
    public const string Open = "OPEN";
    public const string Closed = "CLOSED";
    public const string Moved = "MOVED";

    /// <summary>A copy session writes a table's rows before the rows they refer to may be there: no foreign key checks.</summary>
    public const string BeginApply = "SET FOREIGN_KEY_CHECKS = 0";

    public const string EndApply = "SET FOREIGN_KEY_CHECKS = 1";

    public static string[] CreateTables(string schema, string state, string cluster, int epoch) =>
    [
        $"CREATE DATABASE IF NOT EXISTS {MoveTable.Quote(schema)}",
        $"""
        CREATE TABLE IF NOT EXISTS {MoveTable.Quote(schema)}.`{FenceTable}` (
            id      TINYINT     NOT NULL,
            state   VARCHAR(16) NOT NULL,
            cluster VARCHAR(64) NOT NULL,
            epoch   INT         NOT NULL,
            PRIMARY KEY (id)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS {MoveTable.Quote(schema)}.`{ChangeTable}` (
            seq        BIGINT        NOT NULL AUTO_INCREMENT,
            table_name VARCHAR(64)   NOT NULL,
            pk         VARCHAR(3072) NOT NULL,
            PRIMARY KEY (seq)
        ) ENGINE = InnoDB
        """,
        string.Create(CultureInfo.InvariantCulture, $"INSERT IGNORE INTO {MoveTable.Quote(schema)}.`{FenceTable}` (id, state, cluster, epoch) VALUES (1, {Literal(state)}, {Literal(cluster)}, {epoch})"),
    ];

    public static string ReadFence(string schema, bool exclusive) =>
        $"SELECT state, cluster, epoch FROM {MoveTable.Quote(schema)}.`{FenceTable}` WHERE id = 1{(exclusive ? " FOR UPDATE" : "")}";

    public static string SetFence(string schema) =>
        $"UPDATE {MoveTable.Quote(schema)}.`{FenceTable}` SET state = @State, cluster = @Cluster, epoch = @Epoch WHERE id = 1";

    /// <summary>The three triggers of <paramref name="table"/> for shard <paramref name="shardName"/> (<c>user:17</c>).</summary>
    public static IEnumerable<string> CreateTriggers(MoveTable table, string shardName)
    {
        yield return Trigger(table, shardName, "INSERT", "ai", [table.KeyJson("NEW")]);
        yield return Trigger(table, shardName, "UPDATE", "au", [table.KeyJson("NEW"), table.KeyJson("OLD")]);
        yield return Trigger(table, shardName, "DELETE", "ad", [table.KeyJson("OLD")]);
    }

    public static IEnumerable<string> DropTriggers(string schema, IEnumerable<string> triggers) =>
        triggers.Select(t => $"DROP TRIGGER IF EXISTS {MoveTable.Quote(schema)}.{MoveTable.Quote(t)}");

    public static string ListTriggers => $"SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = @Schema AND trigger_name LIKE '{TriggerPrefix}%'";

    private static string Trigger(MoveTable table, string shardName, string @event, string suffix, string[] keys)
    {
        var schema = MoveTable.Quote(table.Schema);
        var name = TriggerPrefix + suffix + "_" + (table.Name.Length > 55 ? table.Name[..55] : table.Name);

        // An update that changes the key logs the old key as well (it is gone on the source; the drain removes it on the target).
        var log = keys.Length == 1
            ? $"INSERT INTO {schema}.`{ChangeTable}` (table_name, pk) VALUES ({Literal(table.Name)}, {keys[0]});"
            : $"""
              INSERT INTO {schema}.`{ChangeTable}` (table_name, pk) VALUES ({Literal(table.Name)}, {keys[0]});
                  IF {keys[0]} <> {keys[1]} THEN
                    INSERT INTO {schema}.`{ChangeTable}` (table_name, pk) VALUES ({Literal(table.Name)}, {keys[1]});
                  END IF;
              """;
        return $"""
            CREATE OR REPLACE TRIGGER {schema}.{MoveTable.Quote(name)} AFTER {@event} ON {table.Qualified} FOR EACH ROW
            BEGIN
              DECLARE v_state VARCHAR(16);
              DECLARE v_cluster VARCHAR(64);
              DECLARE v_message VARCHAR(128);
              IF {MigratorSession.Unmarked} THEN
                SELECT state, cluster INTO v_state, v_cluster FROM {schema}.`{FenceTable}` WHERE id = 1 LOCK IN SHARE MODE;
                IF v_state IS NULL OR v_state <> '{Open}' THEN
                  SET v_message = LEFT(CONCAT('{MoveSignal.Prefix}{shardName} ', IFNULL(v_cluster, '?'), ': shard {shardName} is served by cluster ', IFNULL(v_cluster, '?'), '; refresh the placement and retry'), 128);
                  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
                END IF;
                {log}
              END IF;
            END
            """;
    }

    private static string Literal(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
}
