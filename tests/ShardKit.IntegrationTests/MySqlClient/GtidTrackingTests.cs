using ShardKit.MySqlClient;

namespace ShardKit.IntegrationTests.MySqlClient;

[Collection("Server")]
public sealed class GtidTrackingTests(ServerFixture fixture)
{
    [Fact]
    public async Task LastCommittedGtidAdvancesWithEachCommitWithoutAnExtraStatement()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        await using (var create = new MySqlCommand("CREATE TABLE IF NOT EXISTS gtid_writes (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var before = connection.LastCommittedGtid;

        await using (var insert = new MySqlCommand("INSERT INTO gtid_writes (v) VALUES (1)", connection))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // Read the property before running anything else: the value came with the INSERT's own OK packet.
        var afterAutocommit = connection.LastCommittedGtid;
        Assert.NotEqual(before, afterAutocommit);
        Assert.Equal(await ServerLastGtidAsync(connection), afterAutocommit);

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var insert = new MySqlCommand("INSERT INTO gtid_writes (v) VALUES (2)", connection, transaction);
            await insert.ExecuteNonQueryAsync();
            Assert.Equal(afterAutocommit, connection.LastCommittedGtid);
            await transaction.CommitAsync();
        }

        var afterCommit = connection.LastCommittedGtid;
        Assert.NotEqual(afterAutocommit, afterCommit);
        Assert.Equal(await ServerLastGtidAsync(connection), afterCommit);
        Assert.Matches(@"^\d+-\d+-\d+$", afterCommit);
    }

    [Fact]
    public async Task APooledSessionDoesNotLeakTheLastGtidToTheNextConnection()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture, "Maximum Pool Size=1;Application Name=gtid-pool");
        await using (var writer = new MySqlConnection(connectionString))
        {
            await writer.OpenAsync();
            await using var write = new MySqlCommand("CREATE TABLE IF NOT EXISTS gtid_pool (id INT) ENGINE=InnoDB; INSERT INTO gtid_pool VALUES (1)", writer);
            await write.ExecuteNonQueryAsync();
            Assert.NotNull(writer.LastCommittedGtid);
        }

        await using var reader = new MySqlConnection(connectionString);
        await reader.OpenAsync();
        Assert.Null(reader.LastCommittedGtid);

        // Tracking still works after the pool's COM_RESET_CONNECTION.
        await using var insert = new MySqlCommand("INSERT INTO gtid_pool VALUES (2)", reader);
        await insert.ExecuteNonQueryAsync();
        Assert.Equal(await ServerLastGtidAsync(reader), reader.LastCommittedGtid);
    }

    private static async Task<string?> ServerLastGtidAsync(MySqlConnection connection)
    {
        await using var command = new MySqlCommand("SELECT @@last_gtid", connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
