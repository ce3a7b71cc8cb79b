using System.Data.Common;
using System.Globalization;
using System.Text;

namespace ShardKit.Ids;

/// <summary>
/// Worker-ID leases in the table <c>shardkit_worker_leases</c>, over plain ADO.NET. The SQL runs on MySQL 8 and
/// MariaDB 10.6+ alike. All times are the database's <c>UTC_TIMESTAMP(6)</c>, so instances with different session
/// time zones or skewed clocks agree on who holds what; each statement is a single autocommitted row update.
/// </summary>
internal sealed class DbWorkerLeaseStore : IWorkerLeaseStore
{
    public const string TableName = "shardkit_worker_leases";

    internal const string CreateTableSql =
        "CREATE TABLE IF NOT EXISTS shardkit_worker_leases (" +
        "worker_id TINYINT UNSIGNED NOT NULL PRIMARY KEY, " +
        "owner VARCHAR(100) NOT NULL, " +
        "expires_at DATETIME(6) NOT NULL" +
        ") ENGINE=InnoDB";

    // One free row per worker ID, so claiming is a single-row UPDATE; existing rows (held leases) are left alone.
    internal static readonly string SeedRowsSql = BuildSeedRowsSql();

    // Claims the lowest worker ID that expired more than the reuse delay ago (never 255, the legacy import's: a table
    // seeded before it was reserved still has its row). UPDATE ... ORDER BY ... LIMIT 1 locks
    // the row it changes, so two instances can never both claim it; the owner token is unique per lease.
    internal const string ClaimSql =
        "UPDATE shardkit_worker_leases " +
        "SET owner = @owner, expires_at = UTC_TIMESTAMP(6) + INTERVAL @duration_us MICROSECOND " +
        "WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL @reuse_delay_us MICROSECOND AND worker_id <= 254 " +
        "ORDER BY worker_id LIMIT 1";

    internal const string ReadClaimSql =
        "SELECT worker_id FROM shardkit_worker_leases WHERE owner = @owner";

    // Succeeds only while the row still carries this lease's owner token: a row that was taken over has another owner.
    internal const string RenewSql =
        "UPDATE shardkit_worker_leases " +
        "SET expires_at = UTC_TIMESTAMP(6) + INTERVAL @duration_us MICROSECOND " +
        "WHERE worker_id = @worker_id AND owner = @owner";

    internal const string ReleaseSql =
        "UPDATE shardkit_worker_leases SET owner = '', expires_at = UTC_TIMESTAMP(6) " +
        "WHERE worker_id = @worker_id AND owner = @owner";

    private readonly DbDataSource _dataSource;

    public DbWorkerLeaseStore(DbDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, CreateTableSql, [], cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, SeedRowsSql, [], cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<int?> TryClaimAsync(string owner, TimeSpan duration, TimeSpan reuseDelay, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(
                connection,
                ClaimSql,
                [("@owner", owner), ("@duration_us", Microseconds(duration)), ("@reuse_delay_us", Microseconds(reuseDelay))],
                cancellationToken).ConfigureAwait(false);

            // Read back rather than trust the affected-row count, whose meaning depends on the driver's found-rows flag.
            var command = Command(connection, ReadClaimSql, [("@owner", owner)]);
            await using (command.ConfigureAwait(false))
            {
                var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                return result is null or DBNull ? null : Convert.ToInt32(result, CultureInfo.InvariantCulture);
            }
        }
    }

    public async Task<bool> TryRenewAsync(int workerId, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // expires_at always moves forward, so the row counts as changed under either found-rows setting.
            var rows = await ExecuteAsync(
                connection,
                RenewSql,
                [("@duration_us", Microseconds(duration)), ("@worker_id", workerId), ("@owner", owner)],
                cancellationToken).ConfigureAwait(false);
            return rows > 0;
        }
    }

    public async Task ReleaseAsync(int workerId, string owner, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ExecuteAsync(connection, ReleaseSql, [("@worker_id", workerId), ("@owner", owner)], cancellationToken).ConfigureAwait(false);
        }
    }

    private static long Microseconds(TimeSpan value) => value.Ticks / TimeSpan.TicksPerMicrosecond;

    private static async Task<int> ExecuteAsync(DbConnection connection, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        var command = Command(connection, sql, parameters);
        await using (command.ConfigureAwait(false))
        {
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static DbCommand Command(DbConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is one of this class's constants; values travel as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static string BuildSeedRowsSql()
    {
        var sql = new StringBuilder("INSERT IGNORE INTO shardkit_worker_leases (worker_id, owner, expires_at) VALUES ");
        for (var workerId = 0; workerId <= OrderIdLayout.MaxLeasedWorkerId; workerId++)
        {
            sql.Append(CultureInfo.InvariantCulture, $"{(workerId == 0 ? "" : ", ")}({workerId}, '', '2000-01-01 00:00:00')");
        }

        return sql.ToString();
    }
}
