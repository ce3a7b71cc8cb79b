using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MySqlConnector;

namespace ShardKit.IntegrationTests.Driver;

[Collection("Server")]
public sealed class FailureTests(ServerFixture fixture)
{
    [Fact]
    public async Task AWrongPasswordIsAccessDeniedAndThePasswordAppearsNowhere()
    {
        const string wrong = "Wr0ng-Pa55word-XYZ";
        var builder = new MySqlConnectionStringBuilder(fixture.ConnectionString) { Password = wrong };
        await using var connection = new MySqlConnection(builder.ConnectionString);
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.AccessDenied, ex.ErrorCode);
        Assert.True(ShardKitErrors.IsAccessDenied(ex));
        Assert.False(ShardKitErrors.IsTransient(ex));
        Assert.DoesNotContain(wrong, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, connection.ConnectionString == builder.ConnectionString ? "" : connection.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AClosedPortFailsFastWithUnableToConnect()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var stopwatch = Stopwatch.StartNew();
        await using var connection = new MySqlConnection($"Server=127.0.0.1;Port={port};User ID=x;Password=y;Connection Timeout=5");
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.UnableToConnectToHost, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public void AServerThatAcceptsButNeverAnswersTimesOutWithinTheConnectionTimeout()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var stopwatch = Stopwatch.StartNew();
        using var connection = new MySqlConnection($"Server=127.0.0.1;Port={port};User ID=x;Password=y;Connection Timeout=2;Pooling=false");
        var ex = Assert.Throws<MySqlException>(() => connection.Open());
        Assert.Equal(MySqlErrorCode.UnableToConnectToHost, ex.ErrorCode);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task AServerKilledMidQueryFailsTheQueryWithATransientErrorInsteadOfHanging()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        try
        {
            await using var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT SLEEP(60)", connection) { CommandTimeout = 0 };
            var running = command.ExecuteScalarAsync();
            await Task.Delay(500);
            await fixture.Server.KillAsync();
            var ex = await Assert.ThrowsAsync<MySqlException>(() => running.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.True(ShardKitErrors.IsTransient(ex), $"{ex.ErrorCode}: {ex.Message}");
            Assert.Equal(System.Data.ConnectionState.Broken, connection.State);
        }
        finally
        {
            await fixture.Server.StartAsync();
        }

        // The pool's idle connections to the dead server are detected and replaced.
        await using var again = new MySqlConnection(connectionString);
        await again.OpenAsync();
        await using var ping = new MySqlCommand("SELECT 1", again);
        Assert.Equal(1, Convert.ToInt32(await ping.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
