using MySqlConnector;

namespace ShardKit.IntegrationTests.Driver;

[Collection("Server")]
/// <summary>A session rented from MySqlConnector's pool carries nothing from its previous renter.</summary>
public sealed class SessionStateTests(ServerFixture fixture)
{
    [Fact]
    public async Task AReturnedConnectionKeepsNoSessionState()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Allow User Variables=true;Application Name=reset");
        await using (var setup = new MySqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new MySqlCommand("DROP TABLE IF EXISTS pool_reset; CREATE TABLE pool_reset (id INT PRIMARY KEY) ENGINE=InnoDB", setup);
            await create.ExecuteNonQueryAsync();
        }

        int threadId;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            threadId = connection.ServerThread;
            await using var dirty = new MySqlCommand(
                "SET @leftover = 'x'; SET SESSION sql_mode = 'ANSI_QUOTES'; CREATE TEMPORARY TABLE temp_leftover (a INT); START TRANSACTION; INSERT INTO pool_reset VALUES (1); USE mysql",
                connection);
            await dirty.ExecuteNonQueryAsync();
        }

        // MySqlConnector resets a pooled session when it is rented again (COM_RESET_CONNECTION): the same server thread
        // comes back with no user variable, no sql_mode change, no transaction, no temporary table, its own default schema.
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(threadId, connection.ServerThread);
            await using var check = new MySqlCommand("SELECT @leftover IS NULL, @@session.sql_mode LIKE '%ANSI_QUOTES%', @@in_transaction, (SELECT COUNT(*) FROM pool_reset), DATABASE()", connection);
            await using var reader = await check.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1L, reader.GetInt64(0));
            Assert.Equal(0L, reader.GetInt64(1));
            Assert.Equal(0L, reader.GetInt64(2));
            Assert.Equal(0L, reader.GetInt64(3));
            Assert.Equal(DriverDatabase.Name, reader.GetString(4));
            await reader.CloseAsync();

            await using var temp = new MySqlCommand("SELECT * FROM temp_leftover", connection);
            var ex = await Assert.ThrowsAsync<MySqlException>(() => temp.ExecuteNonQueryAsync());
            Assert.Equal(MySqlErrorCode.NoSuchTable, ex.ErrorCode);
        }

        // The rolled-back transaction's row lock is gone: another session writes the key without waiting.
        await using (var other = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Application Name=reset-other")))
        {
            await other.OpenAsync();
            await using var write = new MySqlCommand("SET SESSION innodb_lock_wait_timeout = 5; INSERT INTO pool_reset VALUES (1); DELETE FROM pool_reset", other);
            await write.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task StateTheServerDoesNotReportIsGoneFromAReturnedConnectionToo()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Allow User Variables=true;Application Name=reset-untracked");
        await using (var setup = new MySqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new MySqlCommand("CREATE TABLE IF NOT EXISTS pool_untracked (id INT PRIMARY KEY) ENGINE=InnoDB", setup);
            await create.ExecuteNonQueryAsync();
        }

        int threadId;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            threadId = connection.ServerThread;
            foreach (var sql in new[] { "SELECT GET_LOCK('pool_untracked', 0)", "SELECT @assigned := 7", "LOCK TABLES pool_untracked WRITE" })
            {
                await using var dirty = new MySqlCommand(sql, connection);
                await dirty.ExecuteScalarAsync();
            }
        }

        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(threadId, connection.ServerThread);
            await using var check = new MySqlCommand("SELECT @assigned IS NULL", connection);
            Assert.Equal(1L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        // Once the session has been rented again, its named lock and table lock are released.
        await using (var other = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Application Name=reset-untracked-other")))
        {
            await other.OpenAsync();
            await using var check = new MySqlCommand("SET SESSION lock_wait_timeout = 5; INSERT INTO pool_untracked VALUES (1); DELETE FROM pool_untracked; SELECT IS_FREE_LOCK('pool_untracked')", other);
            Assert.Equal(1L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
