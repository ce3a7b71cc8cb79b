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
