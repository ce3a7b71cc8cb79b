using System.Data.Common;
using System.Globalization;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The fence on a shard schema, one for every migration job (the legacy import on every user shard, a shard move on the moved
/// shard's schema on both clusters), enforced by the database:
/// <list type="bullet">
/// <item><c>shardkit_fence</c>, one row (<see cref="ShardFenceRow"/>): <c>serves</c> (this copy takes the application's writes),
/// <c>served_by</c> (otherwise who does: <c>legacy</c>, the legacy database, or <c>cluster:</c> and a cluster's name),
/// <c>capture</c> (the application's writes here are logged) and the <c>epoch</c>.</item>
/// <item><c>shardkit_changes</c>: <c>seq</c>, <c>table_name</c> and <c>row_key</c>, a JSON array of the key the jobs' one drain (<see cref="ShardChangeDrain"/>)
/// re-reads by: the primary key (a move, on every base table of the schema) or the order ID (the import's reverse flow, on
/// the declared tables).</item>
/// <item>On every fenced table, <c>AFTER INSERT/UPDATE/DELETE</c> triggers (<see cref="CreateTriggers"/>) that read the fence row
/// <c>LOCK IN SHARE MODE</c> (a switch's exclusive lock holds the writer), refuse the write when this copy does not serve
/// (<c>SIGNAL SQLSTATE '45000'</c>, <see cref="ShardFenceSignal"/>), and while <c>capture</c> is on log the row's key (and its old
/// key when an update changes it) in the writer's own transaction. A migrator's session (<see cref="MigratorSession"/>) passes
/// without either.</item>
/// </list>
/// SQL here takes the schema as SQL (a quoted name, or <c>{schema}</c> for <see cref="ShardConnection.Sql"/>).
/// </summary>
internal static class ShardFence
{
    public const string FenceTable = "shardkit_fence";
    public const string ChangeTable = "shardkit_changes";

    /// <summary>Every fence trigger's name starts with this.</summary>
    public const string TriggerPrefix = "skf_";

    /// <summary>Takes the fence row exclusively: waits for the writers that passed it, holds new ones.</summary>
    public const string Exclusive = " FOR UPDATE";

    /// <summary>Takes the fence row as a writer does.</summary>
    public const string Shared = " LOCK IN SHARE MODE";

    /// <summary>The fence's two tables and its row, <paramref name="initial"/> unless the row is there already (idempotent).</summary>
    public static string[] CreateTables(string schema, ShardFenceRow initial) =>
    [
        $"""
        CREATE TABLE IF NOT EXISTS {schema}.`{FenceTable}` (
            id        TINYINT     NOT NULL,
            serves    TINYINT(1)  NOT NULL,
            served_by VARCHAR(80) NULL,
            capture   TINYINT(1)  NOT NULL,
            epoch     INT         NOT NULL,
            PRIMARY KEY (id)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS {schema}.`{ChangeTable}` (
            seq        BIGINT        NOT NULL AUTO_INCREMENT,
            table_name VARCHAR(64)   NOT NULL,
            row_key    VARCHAR(3072) NOT NULL,
            PRIMARY KEY (seq)
        ) ENGINE = InnoDB
        """,
        string.Create(CultureInfo.InvariantCulture,
            $"INSERT IGNORE INTO {schema}.`{FenceTable}` (id, serves, served_by, capture, epoch) VALUES (1, {(initial.Serves ? 1 : 0)}, {Literal(initial.ServedBy)}, {(initial.Capture ? 1 : 0)}, {initial.Epoch})"),
    ];

    /// <summary>Drops the fence's two tables (idempotent; drop the triggers first).</summary>
    public static string DropTables(string schema) => $"DROP TABLE IF EXISTS {schema}.`{ChangeTable}`, {schema}.`{FenceTable}`";

    /// <summary>The fence's own tables (never fenced, copied or compared).</summary>
    public static readonly string[] OwnTables = [FenceTable, ChangeTable];

    /// <summary>Whether <paramref name="table"/> is one of the fence's own tables (never fenced, copied or compared).</summary>
    public static bool IsOwnTable(string table) => table is FenceTable or ChangeTable;

    /// <summary>Reads the fence row, plainly or with <see cref="Exclusive"/> or <see cref="Shared"/>.</summary>
    public static string ReadSql(string schema, string locking = "") =>
        $"SELECT serves, served_by, capture, epoch FROM {schema}.`{FenceTable}` WHERE id = 1{locking}";

    /// <summary>The fence row; null when the fence table or its row does not exist (no job fences the shard, or it is complete).</summary>
    public static async Task<ShardFenceRow?> ReadAsync(DbConnection connection, string schema, DbTransaction? transaction, string locking, CancellationToken cancellationToken)
    {
        try
        {
            var row = await connection.QuerySingleOrDefaultAsync<(bool Serves, string? ServedBy, bool Capture, int Epoch)?>(new CommandDefinition(
                ReadSql(schema, locking), transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row is { } r ? new ShardFenceRow(r.Serves, r.ServedBy, r.Capture, r.Epoch) : null;
        }
        catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
        {
            return null;
        }
    }

    /// <summary>The statement that sets the fence row to <paramref name="row"/> in <paramref name="transaction"/>.</summary>
    public static CommandDefinition Set(string schema, ShardFenceRow row, DbTransaction? transaction, CancellationToken cancellationToken) => new(
        $"UPDATE {schema}.`{FenceTable}` SET serves = @Serves, served_by = @ServedBy, capture = @Capture, epoch = @Epoch WHERE id = 1",
        new { row.Serves, row.ServedBy, row.Capture, row.Epoch },
        transaction,
        cancellationToken: cancellationToken);

    public static string CountChangesSql(string schema) => $"SELECT COUNT(*) FROM {schema}.`{ChangeTable}`";

    /// <summary>
    /// The three triggers of table <paramref name="table"/> (SQL: qualified, or a placeholder) named <paramref name="tableName"/>,
    /// in <paramref name="schema"/> of shard <paramref name="shard"/> (<c>user:17</c>), logging <paramref name="key"/> (column names).
    /// </summary>
    public static IEnumerable<string> CreateTriggers(string schema, string table, string tableName, IReadOnlyList<string> key, string shard)
    {
        string Json(string row) => "JSON_ARRAY(" + string.Join(", ", key.Select(k => $"{row}.{Quote(k)}")) + ")";
        yield return Trigger(schema, table, tableName, shard, "INSERT", [Json("NEW")]);
        yield return Trigger(schema, table, tableName, shard, "UPDATE", [Json("NEW"), Json("OLD")]);
        yield return Trigger(schema, table, tableName, shard, "DELETE", [Json("OLD")]);
    }

    /// <summary>The names of the fence's triggers in schema <c>@Schema</c> (the schema's name, not SQL).</summary>
    public const string ListTriggers = "SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = @Schema AND trigger_name LIKE 'skf\\_%'";

    public static IEnumerable<string> DropTriggers(string schema, IEnumerable<string> triggers) =>
        triggers.Select(t => $"DROP TRIGGER IF EXISTS {schema}.{Quote(t)}");

    /// <summary>
    /// Removes the fence from shard schema <paramref name="schemaName"/> on <paramref name="connection"/>: its triggers, then its
    /// tables (idempotent).
    /// </summary>
    public static async Task RemoveAsync(DbConnection connection, string schemaName, CancellationToken cancellationToken)
    {
        var schema = Quote(schemaName);
        var triggers = await connection.QueryAsync<string>(new CommandDefinition(ListTriggers, new { Schema = schemaName }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var statement in DropTriggers(schema, triggers).Append(DropTables(schema)))
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary><c>`identifier`</c>, a backquote in it doubled.</summary>
    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``", StringComparison.Ordinal) + "`";

    private static string Trigger(string schema, string table, string tableName, string shard, string @event, string[] keys)
    {
        var name = TriggerPrefix + "a" + char.ToLowerInvariant(@event[0]) + "_" + (tableName.Length > 57 ? tableName[..57] : tableName);

        // An update that changes the key logs the old key as well (that row is gone here; the drain removes it on the other side).
        var log = keys.Length == 1
            ? $"INSERT INTO {schema}.`{ChangeTable}` (table_name, row_key) VALUES ({Literal(tableName)}, {keys[0]});"
            : $"""
              INSERT INTO {schema}.`{ChangeTable}` (table_name, row_key) VALUES ({Literal(tableName)}, {keys[0]});
                    IF {keys[0]} <> {keys[1]} THEN
                      INSERT INTO {schema}.`{ChangeTable}` (table_name, row_key) VALUES ({Literal(tableName)}, {keys[1]});
                    END IF;
              """;
        var legacy = Literal(ShardFenceSignal.Legacy);
        var index = shard[(shard.IndexOf(':', StringComparison.Ordinal) + 1)..];

        // The session check comes first, outside the block that declares the variables: a migrator's row (every row of a copy)
        // then runs one instruction, not five (server CPU of a 97,000-row insert, 4 runs: no trigger 570 ms, declarations first
        // 930 ms, check first 870 ms).
        return $"""
            CREATE OR REPLACE TRIGGER {schema}.{Quote(name)} AFTER {@event} ON {table} FOR EACH ROW
            IF {MigratorSession.Unmarked} THEN
              BEGIN
                DECLARE v_serves TINYINT;
                DECLARE v_served_by VARCHAR(80);
                DECLARE v_capture TINYINT;
                DECLARE v_message VARCHAR(128);
                SELECT serves, served_by, capture INTO v_serves, v_served_by, v_capture FROM {schema}.`{FenceTable}` WHERE id = 1{Shared};
                IF v_serves IS NULL OR v_serves <> 1 THEN
                  SET v_served_by = IFNULL(v_served_by, '?');
                  SET v_message = LEFT(CONCAT('{ShardFenceSignal.Prefix}{shard} ', v_served_by, ': ', IF(v_served_by = {legacy},
                    'the legacy database serves bucket {index} of the orders now; write there',
                    CONCAT('shard {shard} is served by cluster ', SUBSTRING(v_served_by, {ShardFenceSignal.ClusterPrefix.Length + 1}), '; refresh the placement and retry'))), 128);
                  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = v_message;
                END IF;
                IF v_capture = 1 THEN
                  {log}
                END IF;
              END;
            END IF
            """;
    }

    private static string Literal(string? value) =>
        value is null ? "NULL" : "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";
}
