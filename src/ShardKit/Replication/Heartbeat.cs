using System.Data.Common;
using System.Globalization;

namespace ShardKit.Replication;

/// <summary>
/// The heartbeat table ShardKit writes on each cluster's primary (<c>shardkit.shardkit_heartbeat</c>, one row) and the
/// statements of a probe. Values are literals built from integers only, so it works on any ADO.NET provider.
/// </summary>
internal static class Heartbeat
{
    public const string Table = "`shardkit`.`shardkit_heartbeat`";

    /// <summary>The primary's clock in microseconds since the Unix epoch.</summary>
    public const string PrimaryClock = "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)";

    /// <summary>The heartbeat a server shows (NULL before the first one reached it).</summary>
    public const string Read = "SELECT written_us FROM " + Table + " WHERE id = 1";

    private static readonly string[] s_create =
    [
        "CREATE DATABASE IF NOT EXISTS `shardkit` CHARACTER SET utf8mb4",
        $"""
        CREATE TABLE IF NOT EXISTS {Table} (
            id         TINYINT UNSIGNED NOT NULL,
            written_us BIGINT           NOT NULL,
            PRIMARY KEY (id)
        ) ENGINE = InnoDB
        """,
    ];

    /// <summary>Writes <paramref name="microseconds"/> unless a newer heartbeat (from another process) is already there.</summary>
    public static string Write(long microseconds) => string.Create(
        CultureInfo.InvariantCulture,
        $"INSERT INTO {Table} (id, written_us) VALUES (1, {microseconds}) ON DUPLICATE KEY UPDATE written_us = GREATEST(written_us, VALUES(written_us))");

    /// <summary>Creates the control schema and the heartbeat table if they do not exist (run on a primary).</summary>
    public static async Task EnsureAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (var sql in s_create)
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs a statement that returns one integer or NULL.</summary>
    public static async Task<long?> ScalarAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
    }

    public static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
