using MySqlConnector;

namespace ShardKit.IntegrationTests.Driver;

[Collection("Server")]
public sealed class ErrorMappingTests(ServerFixture fixture)
{
    private async Task<MySqlConnection> OpenAsync(string extra = "")
    {
        var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, extra));
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<MySqlException> FailsAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        return await Assert.ThrowsAsync<MySqlException>(() => command.ExecuteNonQueryAsync());
    }

    private static async Task AssertUsableAsync(MySqlConnection connection)
    {
        await using var command = new MySqlCommand("SELECT 41 + 1", connection);
        Assert.Equal(42L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ServerErrorsMapToTheirCodesAndLeaveTheConnectionUsable()
    {
        await using var connection = await OpenAsync();
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS err_keys; CREATE TABLE err_keys (id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO err_keys VALUES (1)", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var duplicate = await FailsAsync(connection, "INSERT INTO err_keys VALUES (1)");
        Assert.Equal(MySqlErrorCode.DuplicateKeyEntry, duplicate.ErrorCode);
        Assert.Equal(1062, duplicate.Number);
        Assert.Equal("23000", duplicate.SqlState);
        Assert.False(duplicate.IsTransient);
        await AssertUsableAsync(connection);

        var parse = await FailsAsync(connection, "SELEC 1");
        Assert.Equal(MySqlErrorCode.ParseError, parse.ErrorCode);
        await AssertUsableAsync(connection);

        var missing = await FailsAsync(connection, "SELECT * FROM no_such_table");
        Assert.Equal(MySqlErrorCode.NoSuchTable, missing.ErrorCode);
        await AssertUsableAsync(connection);

        await using (var readOnly = new MySqlCommand("START TRANSACTION READ ONLY", connection))
        {
            await readOnly.ExecuteNonQueryAsync();
        }

        var write = await FailsAsync(connection, "INSERT INTO err_keys VALUES (2)");
        Assert.Equal(MySqlErrorCode.CannotExecuteInReadOnlyTransaction, write.ErrorCode);
        await FailsAsyncOrNot(connection, "ROLLBACK");
        await AssertUsableAsync(connection);
    }

    private static async Task FailsAsyncOrNot(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task AnErrorInALaterStatementOfABatchSurfacesAfterTheEarlierResults()
    {
        await using var connection = await OpenAsync();
        await using var command = new MySqlCommand("SELECT 1; SELECT * FROM no_such_table; SELECT 3", connection);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1, reader.GetInt32(0));
            var ex = await Assert.ThrowsAsync<MySqlException>(() => reader.NextResultAsync());
            Assert.Equal(MySqlErrorCode.NoSuchTable, ex.ErrorCode);
        }

        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task LockWaitTimeoutAndDeadlockMapToTransientErrors()
    {
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS err_locks; CREATE TABLE err_locks (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO err_locks VALUES (1, 0), (2, 0)", first))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using var firstTransaction = await first.BeginTransactionAsync();
        await using (var lockRow = new MySqlCommand("UPDATE err_locks SET v = 1 WHERE id = 1", first, firstTransaction))
        {
            await lockRow.ExecuteNonQueryAsync();
        }

        var wait = await FailsAsync(second, "SET SESSION innodb_lock_wait_timeout = 1; UPDATE err_locks SET v = 2 WHERE id = 1");
        Assert.Equal(MySqlErrorCode.LockWaitTimeout, wait.ErrorCode);
        Assert.True(wait.IsTransient);
        await AssertUsableAsync(second);

        // Deadlock: each transaction holds one row and asks for the other's.
        await using var secondTransaction = await second.BeginTransactionAsync();
        await using (var lockOther = new MySqlCommand("SET SESSION innodb_lock_wait_timeout = 30; UPDATE err_locks SET v = 2 WHERE id = 2", second, secondTransaction))
        {
            await lockOther.ExecuteNonQueryAsync();
        }

        var firstWaits = Task.Run(async () =>
        {
            await using var command = new MySqlCommand("UPDATE err_locks SET v = 1 WHERE id = 2", first, firstTransaction);
            await command.ExecuteNonQueryAsync();
        });
        await Task.Delay(300);
        var secondWaits = Task.Run(async () =>
        {
            await using var command = new MySqlCommand("UPDATE err_locks SET v = 2 WHERE id = 1", second, secondTransaction);
            await command.ExecuteNonQueryAsync();
        });

        var failures = new List<MySqlException>();
        foreach (var task in new[] { firstWaits, secondWaits })
        {
            try
            {
                await task.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (MySqlException ex)
            {
                failures.Add(ex);
            }
        }

        var deadlock = Assert.Single(failures);
        Assert.Equal(MySqlErrorCode.LockDeadlock, deadlock.ErrorCode);
        Assert.True(deadlock.IsTransient);
    }

    [Fact]
    public async Task AnUnknownDatabaseFailsTheOpenWithItsCode()
    {
        await using var connection = new MySqlConnection(fixture.ConnectionString + ";Database=no_such_database_here");
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.UnknownDatabase, ex.ErrorCode);
    }
}
