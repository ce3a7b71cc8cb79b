using ShardKit.MySqlClient;

namespace ShardKit.IntegrationTests.MySqlClient;

[Collection("Server")]
public sealed class PoolingTests(ServerFixture fixture)
{
    [Fact]
    public async Task AnExhaustedPoolWaitsForTheTimeoutThenNamesItsSize()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=2;Connection Timeout=3;SslMode=None;Application Name=exhaust");
        await using var first = new MySqlConnection(connectionString);
        await using var second = new MySqlConnection(connectionString);
        await first.OpenAsync();
        await second.OpenAsync();
        await using var third = new MySqlConnection(connectionString);
        var ex = await Assert.ThrowsAsync<MySqlException>(() => third.OpenAsync());
        Assert.Equal(MySqlErrorCode.PoolExhausted, ex.ErrorCode);
        Assert.Contains("Maximum Pool Size=2", ex.Message, StringComparison.Ordinal);

        // A returned connection is handed to the next waiter.
        var waiting = third.OpenAsync();
        await first.CloseAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(System.Data.ConnectionState.Open, third.State);
    }

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
                "SET @leftover = 'x'; SET SESSION sql_mode = 'ANSI_QUOTES'; CREATE TEMPORARY TABLE temp_leftover (a INT); START TRANSACTION; INSERT INTO pool_reset VALUES (1)",
                connection);
            await dirty.ExecuteNonQueryAsync();
        }

        // The returned session's transaction and row locks are gone at once, before the session is reused:
        // another connection can write the locked key without waiting.
        await using (var other = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Application Name=reset-other")))
        {
            await other.OpenAsync();
            await using var write = new MySqlCommand("SET SESSION innodb_lock_wait_timeout = 5; INSERT INTO pool_reset VALUES (1); DELETE FROM pool_reset", other);
            await write.ExecuteNonQueryAsync();
        }

        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(threadId, connection.ServerThread);
            await using var check = new MySqlCommand("SELECT @leftover IS NULL, @@session.sql_mode LIKE '%ANSI_QUOTES%', @@in_transaction, (SELECT COUNT(*) FROM pool_reset)", connection);
            await using var reader = await check.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1L, reader.GetInt64(0));
            Assert.Equal(0L, reader.GetInt64(1));
            Assert.Equal(0L, reader.GetInt64(2));
            Assert.Equal(0L, reader.GetInt64(3));
            await reader.CloseAsync();

            await using var temp = new MySqlCommand("SELECT * FROM temp_leftover", connection);
            var ex = await Assert.ThrowsAsync<MySqlException>(() => temp.ExecuteNonQueryAsync());
            Assert.Equal(MySqlErrorCode.NoSuchTable, ex.ErrorCode);
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

        // The named lock and the table lock are released as soon as the connection is returned.
        await using (var other = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Application Name=reset-untracked-other")))
        {
            await other.OpenAsync();
            await using var check = new MySqlCommand("SET SESSION lock_wait_timeout = 5; INSERT INTO pool_untracked VALUES (1); DELETE FROM pool_untracked; SELECT IS_FREE_LOCK('pool_untracked')", other);
            Assert.Equal(1L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(threadId, connection.ServerThread);
            await using var check = new MySqlCommand("SELECT @assigned IS NULL", connection);
            Assert.Equal(1L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task AConnectionThatOnlyReadAndWroteIsReturnedWithoutAReset()
    {
        // A reset re-enables GTID tracking with a SET, which the server counts in Com_set_option; a session that
        // changed no state skips both. Other sessions' SETs (this check's own connection) add at most a few.
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Application Name=reset-skip");
        await using var dataSource = new MySqlDataSourceBuilder(connectionString).Build();
        await using (var setup = await dataSource.OpenConnectionAsync())
        {
            await using var create = new MySqlCommand("CREATE TABLE IF NOT EXISTS pool_skip (id INT PRIMARY KEY AUTO_INCREMENT, v INT) ENGINE=InnoDB", setup);
            await create.ExecuteNonQueryAsync();
        }

        var before = long.Parse((await fixture.Server.QueryScalarAsync("SELECT VARIABLE_VALUE FROM information_schema.global_status WHERE VARIABLE_NAME = 'COM_SET_OPTION'"))!, System.Globalization.CultureInfo.InvariantCulture);
        int threadId = 0;
        string? lastGtid = null;
        for (var i = 0; i < 50; i++)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            Assert.True(threadId == 0 || threadId == connection.ServerThread, "the pool should keep reusing its one session");
            threadId = connection.ServerThread;
            await using var insert = new MySqlCommand("INSERT INTO pool_skip (v) VALUES (@v)", connection);
            insert.Parameters.Add(new MySqlParameter("v", i));
            await insert.ExecuteNonQueryAsync();
            Assert.NotEqual(lastGtid, connection.LastCommittedGtid);
            lastGtid = connection.LastCommittedGtid;
            await using var select = new MySqlCommand("SELECT v FROM pool_skip WHERE v = @v", connection);
            select.Parameters.Add(new MySqlParameter("v", i));
            Assert.Equal(i, Convert.ToInt32(await select.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        var after = long.Parse((await fixture.Server.QueryScalarAsync("SELECT VARIABLE_VALUE FROM information_schema.global_status WHERE VARIABLE_NAME = 'COM_SET_OPTION'"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(after - before, 0, 5);

        // A session that did change state is still reset: the next user of the one session sees none of it.
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var set = new MySqlCommand("SET SESSION sql_mode = 'ANSI_QUOTES'", connection);
            await set.ExecuteNonQueryAsync();
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            await using var check = new MySqlCommand("SELECT @@session.sql_mode LIKE '%ANSI_QUOTES%'", connection);
            Assert.Equal(0L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task ADataSourceOwnsItsPoolAndReusesSessions()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=3");
        await using var dataSource = new MySqlDataSourceBuilder(connectionString).Build();
        int threadId;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            threadId = connection.ServerThread;
        }

        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            Assert.Equal(threadId, connection.ServerThread);
        }

        await using var command = dataSource.CreateCommand("SELECT 5");
        Assert.Equal(5, Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task AnIdleSessionTheServerClosedIsReplacedWhenRented()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Application Name=killed-idle");
        int threadId;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            threadId = connection.ServerThread;
        }

        await fixture.Server.ExecuteAsync($"KILL CONNECTION {threadId}");

        // A moment for the server's close to reach the client socket.
        await Task.Delay(200);
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.NotEqual(threadId, connection.ServerThread);
            await using var command = new MySqlCommand("SELECT 11", connection);
            Assert.Equal(11, Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public async Task ASessionPastConnectionLifetimeIsReplaced()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Connection Lifetime=1;Application Name=lifetime");
        int threadId;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            threadId = connection.ServerThread;
        }

        await Task.Delay(1500);
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            Assert.NotEqual(threadId, connection.ServerThread);
        }
    }

    [Fact]
    public async Task IdleConnectionsArePrunedAfterTheIdleTimeout()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Connection Idle Timeout=1;Application Name=idle-prune");
        int threadId;
        await using (var connection = new MySqlConnection(connectionString))
        {
            await connection.OpenAsync();
            threadId = connection.ServerThread;
        }

        Assert.Equal("1", await fixture.Server.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.processlist WHERE id = {threadId}"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? count;
        do
        {
            await Task.Delay(250);
            count = await fixture.Server.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.processlist WHERE id = {threadId}");
        }
        while (count != "0" && DateTime.UtcNow < deadline);

        Assert.Equal("0", count);
    }
}
