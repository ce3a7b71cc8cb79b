using System.Data;
using System.Data.Common;
using Dapper;
using ShardKit.MySqlClient;

namespace ShardKit.IntegrationTests.MySqlClient;

[Collection("Server")]
public sealed class ResultsAndBatchTests(ServerFixture fixture)
{
    private async Task<MySqlConnection> OpenAsync()
    {
        var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task MultipleResultSetsAreReadInOrderAndRowCountsAddUp()
    {
        await using var connection = await OpenAsync();
        await using var command = new MySqlCommand(
            "DROP TABLE IF EXISTS multi; CREATE TABLE multi (id INT PRIMARY KEY); INSERT INTO multi VALUES (1), (2), (3); " +
            "SELECT id FROM multi ORDER BY id; UPDATE multi SET id = id + 10; SELECT 'x' AS a, NULL AS b; SELECT id FROM multi WHERE id < 0",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        Assert.Equal([1, 2, 3], ids);
        Assert.True(await reader.NextResultAsync());
        Assert.Equal(2, reader.FieldCount);
        Assert.Equal("a", reader.GetName(0));
        Assert.True(await reader.ReadAsync());
        Assert.Equal("x", reader.GetString(0));
        Assert.True(reader.IsDBNull(1));
        Assert.True(await reader.NextResultAsync());
        Assert.False(reader.HasRows);
        Assert.False(await reader.ReadAsync());
        Assert.False(await reader.NextResultAsync());
        Assert.Equal(6, reader.RecordsAffected);
    }

    [Fact]
    public async Task TheSameQueryAfterItsTableChangesShapeReportsTheNewColumns()
    {
        // The session reuses parsed column definitions while their bytes are unchanged; a change of type, name or
        // column count must show up on the very next run of the same text on the same session.
        await using var connection = await OpenAsync();
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS shape; CREATE TABLE shape (id INT PRIMARY KEY, v INT NOT NULL); INSERT INTO shape VALUES (1, 42)", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        const string Sql = "SELECT * FROM shape";
        async Task<(string[] Names, Type[] Types, object[] Values)> ReadAsync()
        {
            await using var command = new MySqlCommand(Sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var types = Enumerable.Range(0, reader.FieldCount).Select(reader.GetFieldType).ToArray();
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            return (names, types, values);
        }

        async Task AlterAsync(string sql)
        {
            await using var alter = new MySqlCommand(sql, connection);
            await alter.ExecuteNonQueryAsync();
        }

        var first = await ReadAsync();
        Assert.Equal(["id", "v"], first.Names);
        Assert.Equal(typeof(int), first.Types[1]);
        Assert.Equal(42, first.Values[1]);
        Assert.Equal(first.Names, (await ReadAsync()).Names);

        await AlterAsync("ALTER TABLE shape MODIFY v VARCHAR(20) NOT NULL");
        var retyped = await ReadAsync();
        Assert.Equal(typeof(string), retyped.Types[1]);
        Assert.Equal("42", retyped.Values[1]);

        await AlterAsync("ALTER TABLE shape CHANGE v renamed VARCHAR(20) NOT NULL");
        var renamed = await ReadAsync();
        Assert.Equal(["id", "renamed"], renamed.Names);

        await AlterAsync("ALTER TABLE shape ADD COLUMN extra BIGINT UNSIGNED NOT NULL DEFAULT 18446744073709551615");
        var widened = await ReadAsync();
        Assert.Equal(["id", "renamed", "extra"], widened.Names);
        Assert.Equal(typeof(ulong), widened.Types[2]);
        Assert.Equal(ulong.MaxValue, widened.Values[2]);

        await AlterAsync("ALTER TABLE shape DROP COLUMN renamed");
        var narrowed = await ReadAsync();
        Assert.Equal(["id", "extra"], narrowed.Names);
        Assert.Equal(ulong.MaxValue, narrowed.Values[1]);
    }

    [Fact]
    public async Task ClosingAReaderEarlyDrainsTheRestAndFreesTheConnection()
    {
        await using var connection = await OpenAsync();
        await using (var command = new MySqlCommand("SELECT seq FROM seq_1_to_100000; SELECT 2", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1L, reader.GetInt64(0));
        }

        await using var next = new MySqlCommand("SELECT 3", connection);
        Assert.Equal(3, Convert.ToInt32(await next.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task ASecondCommandWhileAReaderIsOpenIsRejected()
    {
        await using var connection = await OpenAsync();
        await using var command = new MySqlCommand("SELECT 1", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await using var other = new MySqlCommand("SELECT 2", connection);
        await Assert.ThrowsAsync<InvalidOperationException>(() => other.ExecuteScalarAsync());
    }

    [Fact]
    public async Task ABatchRunsInOneRoundTripAndReportsEachStatementsRowCount()
    {
        await using var connection = await OpenAsync();
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS batch_rows; CREATE TABLE batch_rows (id INT PRIMARY KEY, name VARCHAR(20))", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        DbBatch batch = connection.CreateBatch();
        foreach (var (sql, id) in new[] { ("INSERT INTO batch_rows VALUES (@id, 'a')", 1), ("INSERT INTO batch_rows VALUES (@id, 'b'), (@id + 1, 'c')", 2) })
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            var parameter = command.CreateParameter();
            parameter.ParameterName = "id";
            parameter.Value = id;
            command.Parameters.Add(parameter);
            batch.BatchCommands.Add(command);
        }

        var select = batch.CreateBatchCommand();
        select.CommandText = "SELECT name FROM batch_rows ORDER BY id";
        batch.BatchCommands.Add(select);

        await using (var reader = await batch.ExecuteReaderAsync())
        {
            var names = new List<string>();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }

            Assert.Equal(["a", "b", "c"], names);
        }

        Assert.Equal(1, batch.BatchCommands[0].RecordsAffected);
        Assert.Equal(2, batch.BatchCommands[1].RecordsAffected);
        await batch.DisposeAsync();
    }

    [Fact]
    public async Task TransactionsCommitAndRollBackAtTheRequestedIsolationLevel()
    {
        await using var connection = await OpenAsync();
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS tx_rows; CREATE TABLE tx_rows (id INT PRIMARY KEY) ENGINE=InnoDB", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        // Another session's uncommitted row is visible only under READ UNCOMMITTED.
        await using var other = await OpenAsync();
        await using var otherTransaction = await other.BeginTransactionAsync();
        await using (var uncommitted = new MySqlCommand("INSERT INTO tx_rows VALUES (100)", other, otherTransaction))
        {
            await uncommitted.ExecuteNonQueryAsync();
        }

        foreach (var (level, expected) in new[] { (IsolationLevel.ReadUncommitted, 1L), (IsolationLevel.ReadCommitted, 0L), (IsolationLevel.Snapshot, 0L) })
        {
            await using var transaction = await connection.BeginTransactionAsync(level);
            await using var peek = new MySqlCommand("SELECT COUNT(*) FROM tx_rows WHERE id = 100", connection, transaction);
            Assert.Equal(expected, Convert.ToInt64(await peek.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
            await transaction.CommitAsync();
        }

        await otherTransaction.RollbackAsync();

        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable))
        {
            await using var insert = new MySqlCommand("INSERT INTO tx_rows VALUES (1)", connection, transaction);
            await insert.ExecuteNonQueryAsync();
            await transaction.RollbackAsync();
        }

        using (var transaction = connection.BeginTransaction(IsolationLevel.ReadCommitted))
        {
            using var insert = new MySqlCommand("INSERT INTO tx_rows VALUES (2)", connection, transaction);
            insert.ExecuteNonQuery();
            transaction.Commit();
        }

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using var insert = new MySqlCommand("INSERT INTO tx_rows VALUES (3)", connection, transaction);
            await insert.ExecuteNonQueryAsync();

            // Disposed without commit: rolled back.
        }

        await using var count = new MySqlCommand("SELECT GROUP_CONCAT(id) FROM tx_rows", connection);
        Assert.Equal("2", await count.ExecuteScalarAsync());
    }

    private sealed record Order(long Id, string Customer, decimal Total, DateTime PlacedAt, bool Paid, string? Note);

    [Fact]
    public async Task DapperQueriesAndExecutesWithAnonymousParameters()
    {
        await using var connection = await OpenAsync();
        await connection.ExecuteAsync("DROP TABLE IF EXISTS dapper_orders; CREATE TABLE dapper_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, customer VARCHAR(50), total DECIMAL(10,2), placed_at DATETIME(6), paid TINYINT(1), note TEXT NULL)");
        var placed = new DateTime(2024, 3, 4, 5, 6, 7).AddTicks(1234560);
        var inserted = await connection.ExecuteAsync(
            "INSERT INTO dapper_orders (customer, total, placed_at, paid, note) VALUES (@Customer, @Total, @PlacedAt, @Paid, @Note)",
            new[]
            {
                new { Customer = "O'Brien", Total = 12.34m, PlacedAt = placed, Paid = true, Note = (string?)null },
                new { Customer = "Ünal \\ 😀", Total = 0.01m, PlacedAt = placed, Paid = false, Note = (string?)"fragile" },
            });
        Assert.Equal(2, inserted);

        var orders = (await connection.QueryAsync<Order>(
            "SELECT id AS Id, customer AS Customer, total AS Total, placed_at AS PlacedAt, paid AS Paid, note AS Note FROM dapper_orders WHERE total > @min ORDER BY id",
            new { min = 0m })).ToList();
        Assert.Equal(2, orders.Count);
        Assert.Equal("O'Brien", orders[0].Customer);
        Assert.Equal(12.34m, orders[0].Total);
        Assert.Equal(placed, orders[0].PlacedAt);
        Assert.True(orders[0].Paid);
        Assert.Null(orders[0].Note);
        Assert.Equal("Ünal \\ 😀", orders[1].Customer);
        Assert.Equal("fragile", orders[1].Note);

        var ids = connection.Query<long>("SELECT id FROM dapper_orders WHERE customer IN @names ORDER BY id", new { names = new[] { "O'Brien", "nobody" } }).ToList();
        Assert.Single(ids);
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM dapper_orders"));
    }

    [Fact]
    public async Task ABlobOverSixteenMegabytesRoundTripsBothWays()
    {
        await using var connection = await OpenAsync();
        var blob = new byte[(17 * 1024 * 1024) + 123];
        new Random(3).NextBytes(blob);
        await using (var setup = new MySqlCommand("DROP TABLE IF EXISTS big_blobs; CREATE TABLE big_blobs (id INT PRIMARY KEY, data LONGBLOB)", connection))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using (var insert = new MySqlCommand("INSERT INTO big_blobs VALUES (1, @data)", connection) { CommandTimeout = 120 })
        {
            insert.Parameters.AddWithValue("data", blob);
            await insert.ExecuteNonQueryAsync();
        }

        await using var select = new MySqlCommand("SELECT data, LENGTH(data) FROM big_blobs WHERE id = 1", connection) { CommandTimeout = 120 };
        await using var reader = await select.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(blob.Length, reader.GetInt32(1));
        Assert.True(blob.AsSpan().SequenceEqual(reader.GetFieldValue<byte[]>(0)));
    }

    [Fact]
    public async Task TheSynchronousApiWorksEndToEnd()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        using var connection = new MySqlConnection(connectionString);
        connection.Open();
        using var command = new MySqlCommand("SELECT seq, seq * 2 FROM seq_1_to_1000", connection);
        using var reader = command.ExecuteReader();
        long sum = 0;
        while (reader.Read())
        {
            sum += reader.GetInt64(1);
        }

        Assert.Equal(1001L * 1000, sum);
        Assert.True(connection.Ping());
    }

    [Fact]
    public async Task TheProviderFactoryCreatesWorkingObjects()
    {
        DbProviderFactory factory = MySqlClientFactory.Instance;
        await using var dataSource = factory.CreateDataSource(await DriverDatabase.ConnectionStringAsync(fixture));
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @p";
        var parameter = factory.CreateParameter()!;
        parameter.ParameterName = "p";
        parameter.Value = "factory";
        command.Parameters.Add(parameter);
        Assert.Equal("factory", await command.ExecuteScalarAsync());
        Assert.True(factory.CanCreateBatch);
    }
}
