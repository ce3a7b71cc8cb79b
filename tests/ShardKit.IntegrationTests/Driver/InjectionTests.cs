using Dapper;
using MySqlConnector;
using ShardKit.Connections;

namespace ShardKit.IntegrationTests.Driver;

/// <summary>
/// Parameter values stay data whatever escaping mode the server or a stored procedure puts the session in: ShardKit's pools
/// (<see cref="EndpointDataSourceFactory"/>) keep <c>NO_BACKSLASH_ESCAPES</c> out of their sessions, and MySqlConnector
/// doubles quotes, so a value can never end its literal. The repros come from an audit of the retired driver.
/// </summary>
[Collection("Server")]
public sealed class InjectionTests(ServerFixture fixture)
{
    private const string Hostile = "\\' , CURRENT_USER() AS injected -- ";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AValueThatTriesToEndItsLiteralStaysOneValueWhateverTheServersMode(bool globalNoBackslashEscapes)
    {
        var database = await DriverDatabase.ConnectionStringAsync(fixture);
        await fixture.Server.ExecuteAsync($"""
            DROP PROCEDURE IF EXISTS {DriverDatabase.Name}.escape_mode;
            CREATE PROCEDURE {DriverDatabase.Name}.escape_mode() SET sql_mode = 'NO_BACKSLASH_ESCAPES';
            DROP TABLE IF EXISTS {DriverDatabase.Name}.injection;
            CREATE TABLE {DriverDatabase.Name}.injection (id INT PRIMARY KEY, v VARCHAR(100)) ENGINE=InnoDB;
            """);
        var original = await fixture.Server.QueryScalarAsync("SELECT @@GLOBAL.sql_mode");
        await SetGlobalModeAsync(globalNoBackslashEscapes ? "NO_BACKSLASH_ESCAPES" : "");
        try
        {
            // New sessions start in the global mode: the pool created now sees it.
            await using var pool = new EndpointDataSourceFactory(configure: null).Create(
                EndpointDataSourceFactory.ApplyDefaults(database + ";Allow User Variables=true", resilience: null, connections: null));
            for (var rental = 0; rental < 3; rental++)
            {
                await using var connection = await pool.OpenConnectionAsync();
                Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT LOCATE('NO_BACKSLASH_ESCAPES', @@SESSION.sql_mode)"));

                await connection.ExecuteAsync("SET sql_mode = ''; CALL escape_mode()");
                await using var command = new MySqlCommand("SET @v = @value; SELECT @v", connection);
                command.Parameters.AddWithValue("@value", Hostile);
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    Assert.True(await reader.ReadAsync());
                    Assert.Equal(1, reader.FieldCount);
                    Assert.Equal(Hostile, reader.GetString(0));
                    Assert.False(await reader.ReadAsync());
                }

                await connection.ExecuteAsync("REPLACE INTO injection (id, v) VALUES (@Id, @V)", new { Id = rental, V = "a\\b'c\0d" });
                Assert.Equal("615C6227630064", await connection.ExecuteScalarAsync<string>("SELECT HEX(v) FROM injection WHERE id = @Id", new { Id = rental }));
            }
        }
        finally
        {
            await SetGlobalModeAsync(original ?? "");
        }
    }

    private Task SetGlobalModeAsync(string mode) => fixture.Server.ExecuteAsync($"SET GLOBAL sql_mode = '{mode}'");
}
