using System.Data.Common;
using System.Globalization;

namespace ShardKit.Schema;

/// <summary>
/// The per-cluster record of which script reached which shard: table <c>shardkit.shardkit_schema_log</c>
/// on each cluster's primary. Values are written as literals built only from enums, integers, hex
/// checksums and timestamps, so the log works on any ADO.NET provider without parameter support.
/// </summary>
internal static class SchemaLog
{
    public const string Table = "`shardkit`.`shardkit_schema_log`";

    public const string StartedTable = "`shardkit`.`shardkit_schema_started`";

    private static readonly string[] s_create =
    [
        "CREATE DATABASE IF NOT EXISTS `shardkit` CHARACTER SET utf8mb4",
        $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            dimension  VARCHAR(16) NOT NULL,
            shard      INT         NOT NULL,
            checksum   CHAR(64)    NOT NULL,
            applied_at DATETIME(6) NOT NULL,
            PRIMARY KEY (checksum, dimension, shard)
        ) ENGINE = InnoDB
        """,
    ];

    public static async Task EnsureAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (var sql in s_create)
        {
            await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The shards of <paramref name="checksum"/> already recorded on this cluster, as <c>user:17</c> names.</summary>
    public static async Task<HashSet<string>> LoadDoneAsync(DbConnection connection, string checksum, CancellationToken cancellationToken)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.CommandText = $"SELECT dimension, shard FROM {Table} WHERE checksum = '{checksum}'";
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var dimension = reader.GetString(0);
                var shard = Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture);
                done.Add(string.Concat(dimension, ":", shard.ToString(CultureInfo.InvariantCulture)));
            }
        }

        return done;
    }

    public static Task RecordAsync(DbConnection connection, ShardSlot slot, string checksum, DateTimeOffset appliedAt, CancellationToken cancellationToken)
    {
        var sql = string.Create(
            CultureInfo.InvariantCulture,
            $"INSERT IGNORE INTO {Table} (dimension, shard, checksum, applied_at) VALUES ('{ShardSlot.DimensionName(slot.Dimension)}', {slot.Shard}, '{checksum}', '{appliedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}')");
        return ExecuteAsync(connection, sql, cancellationToken);
    }

    /// <summary>
    /// Creates <c>shardkit.shardkit_schema_started</c> if it does not exist: the shards a script began on. A shard there
    /// but not in the log was interrupted (Ctrl+C, a crash, <c>kill -9</c>) between its DDL and its log record.
    /// </summary>
    public static async Task EnsureStartedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, s_create[0], cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS {StartedTable} (
                dimension  VARCHAR(16) NOT NULL,
                shard      INT         NOT NULL,
                checksum   CHAR(64)    NOT NULL,
                started_at DATETIME(6) NOT NULL,
                PRIMARY KEY (checksum, dimension, shard)
            ) ENGINE = InnoDB
            """, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that <paramref name="checksum"/> starts on the shard; returns whether an earlier run had already started it.</summary>
    public static async Task<bool> MarkStartedAsync(DbConnection connection, ShardSlot slot, string checksum, DateTimeOffset startedAt, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.CommandText = string.Create(
            CultureInfo.InvariantCulture,
            $"INSERT IGNORE INTO {StartedTable} (dimension, shard, checksum, started_at) VALUES ('{ShardSlot.DimensionName(slot.Dimension)}', {slot.Shard}, '{checksum}', '{startedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}')");
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0;
    }

    /// <summary>Every row of the cluster's log: which script reached which shard, and when.</summary>
    public static async Task<List<(string Dimension, int Shard, string Checksum, DateTime AppliedAt)>> LoadAllAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var rows = new List<(string, int, string, DateTime)>();
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.CommandText = $"SELECT dimension, shard, checksum, applied_at FROM {Table} ORDER BY applied_at";
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((reader.GetString(0), Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture), reader.GetString(2), reader.GetDateTime(3)));
            }
        }

        return rows;
    }

    public static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using var commandScope = command.ConfigureAwait(false);
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
