using System.Diagnostics;
using MySqlConnector;

namespace ShardKit.IntegrationTests.Driver;

[Collection("Server")]
public sealed class TimeoutAndCancellationTests(ServerFixture fixture)
{
    private async Task<bool> IsQueryRunningAsync(int threadId)
    {
        var info = await fixture.Server.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.processlist WHERE id = {threadId} AND command = 'Query'");
        return info != "0";
    }

    private static async Task AssertUsableAsync(MySqlConnection connection)
    {
        await using var command = new MySqlCommand("SELECT 'still usable'", connection);
        Assert.Equal("still usable", await command.ExecuteScalarAsync());
    }

    // A cross join big enough to run for far longer than the timeout, without SLEEP (which a kill merely shortens).
    private const string LongQuery =
        "SELECT COUNT(*) FROM information_schema.collations a, information_schema.collations b, information_schema.collations c, information_schema.collations d";

    [Fact]
    public async Task ACommandTimeoutKillsTheServerSideQueryAndKeepsTheConnection()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        var threadId = connection.ServerThread;
        await using var command = new MySqlCommand(LongQuery, connection) { CommandTimeout = 1 };
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MySqlException>(() => command.ExecuteScalarAsync());
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);
        Assert.True(ShardKitErrors.IsTransient(ex));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        Assert.False(await IsQueryRunningAsync(threadId));
        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task AShortTimeoutAfterCommandsWithALongerOneStillFiresOnTime()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();

        // Quick commands with a 60 s timeout leave the session's timer armed for a minute from now.
        for (var i = 0; i < 3; i++)
        {
            await using var quick = new MySqlCommand("SELECT 1", connection) { CommandTimeout = 60 };
            await quick.ExecuteScalarAsync();
        }

        await using var command = new MySqlCommand("SELECT SLEEP(30)", connection) { CommandTimeout = 1 };
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MySqlException>(() => command.ExecuteScalarAsync());
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task ATimerArmedByAnEarlierShortTimeoutDoesNotKillALaterLongerCommand()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();

        // Arms the session's timer for 1 s from now; the command itself ends at once.
        await using (var quick = new MySqlCommand("SELECT 1", connection) { CommandTimeout = 1 })
        {
            await quick.ExecuteScalarAsync();
        }

        // Still running when that timer fires, but within its own 10 s.
        await using var command = new MySqlCommand("SELECT SLEEP(2)", connection) { CommandTimeout = 10 };
        Assert.Equal(0L, Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));

        // And the timer, re-armed for that command's deadline, still times out a later command.
        await using var slow = new MySqlCommand("SELECT SLEEP(30)", connection) { CommandTimeout = 1 };
        var ex = await Assert.ThrowsAsync<MySqlException>(() => slow.ExecuteScalarAsync());
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);
    }

    [Fact]
    public async Task ATokenCancelledBeforeExecutionThrowsAndLeavesTheConnectionUsable()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await using var command = new MySqlCommand("SELECT 1", connection);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteReaderAsync(cancelled.Token));
        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task ASynchronousCommandTimesOutTheSameWay()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        using var connection = new MySqlConnection(connectionString);
        connection.Open();
        using var command = new MySqlCommand("SELECT SLEEP(30)", connection) { CommandTimeout = 1 };
        var stopwatch = Stopwatch.StartNew();
        var ex = Assert.Throws<MySqlException>(() => command.ExecuteNonQuery());
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed}");
        using var next = new MySqlCommand("SELECT 7", connection);
        Assert.Equal(7, Convert.ToInt32(next.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task CancellingTheTokenKillsTheQueryAndThrowsOperationCanceled()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        var threadId = connection.ServerThread;
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await using var command = new MySqlCommand(LongQuery, connection) { CommandTimeout = 0 };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => command.ExecuteScalarAsync(cancellation.Token));
        Assert.False(await IsQueryRunningAsync(threadId));
        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task CommandCancelFromAnotherThreadStopsTheQuery()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        await using var command = new MySqlCommand(LongQuery, connection) { CommandTimeout = 0 };
        var running = command.ExecuteScalarAsync();
        await Task.Delay(500);
        command.Cancel();

        // MySqlConnector kills the query (KILL QUERY) and reports the interruption.
        var ex = await Assert.ThrowsAsync<MySqlException>(() => running.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(MySqlErrorCode.QueryInterrupted, ex.ErrorCode);
        await AssertUsableAsync(connection);
    }

    [Fact]
    public async Task AResultThatStallsBetweenRowsIsKilledByTheCommandTimeout()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        var threadId = connection.ServerThread;

        // The first row is larger than the server's network buffer, so it arrives at once; the second takes 30 s.
        await using var command = new MySqlCommand("SELECT REPEAT('x', 200000) AS big, SLEEP(IF(seq = 1, 0, 30)) AS pause FROM seq_1_to_3", connection) { CommandTimeout = 2 };
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<MySqlException>(async () =>
        {
            // On a loaded machine the timeout can already fire while the first row arrives; either way it is reported.
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(200000, reader.GetString(0).Length);
            while (await reader.ReadAsync())
            {
            }
        });
        Assert.Equal(MySqlErrorCode.CommandTimeoutExpired, ex.ErrorCode);

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"took {stopwatch.Elapsed}");
        Assert.False(await IsQueryRunningAsync(threadId));
        await AssertUsableAsync(connection);
    }
}
