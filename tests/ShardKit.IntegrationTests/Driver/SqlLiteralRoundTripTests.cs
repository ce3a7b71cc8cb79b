using System.Text;
using MySqlConnector;
using ShardKit.Connections;

namespace ShardKit.IntegrationTests.Driver;

/// <summary>
/// Every copy (the legacy import's, the shard mover's, the repairs) writes values into SQL text through
/// <see cref="SqlLiteral"/>; a value must come back from the server exactly as it comes back when MySqlConnector sends it
/// as a parameter. Each value is written both ways into a table with one column of each type a team's tables use, and the
/// two rows are read back and compared.
/// </summary>
[Collection("Server")]
public sealed class SqlLiteralRoundTripTests(ServerFixture fixture)
{
    private static readonly (string Column, string Type)[] s_columns =
    [
        ("c_bigint", "BIGINT"),
        ("c_int", "INT"),
        ("c_decimal", "DECIMAL(30,6)"),
        ("c_double", "DOUBLE"),
        ("c_float", "FLOAT"),
        ("c_text", "VARCHAR(200) CHARACTER SET utf8mb4"),
        ("c_latin1", "VARCHAR(200) CHARACTER SET latin1"),
        ("c_datetime", "DATETIME(6)"),
        ("c_date", "DATE"),
        ("c_time", "TIME(6)"),
        ("c_blob", "BLOB"),
        ("c_json", "JSON"),
        ("c_bool", "TINYINT(1)"),
        ("c_year", "YEAR"),
        ("c_enum", "ENUM('new','paid','shipped')"),
        ("c_bit", "BIT(12)"),
        ("c_point", "POINT"),
        ("c_set", "SET('a','b','c')"),
        ("c_char", "CHAR(36)"),
    ];

    public static TheoryData<string, object> Values => new()
    {
        { "c_bigint", long.MinValue },
        { "c_bigint", long.MaxValue },
        { "c_int", -7 },
        { "c_decimal", 123456789012345678.123456m },
        { "c_decimal", -0.000001m },
        { "c_double", 0.1d },
        { "c_double", -1.7976931348623157E+308d },
        { "c_double", 5E-324d },
        { "c_float", -3.4E+38f },
        { "c_float", 1.1f },
        { "c_text", "it's a \"quote\", a back\\slash, a tab\tand a new\nline" },
        { "c_text", "ünïcödé ✓ 😀 \u0085 \u007f end" },
        { "c_text", "" },
        { "c_latin1", "café crème" },
        { "c_datetime", new DateTime(2026, 12, 7, 23, 59, 59, DateTimeKind.Utc).AddTicks(1234567) },
        { "c_datetime", new DateTime(1000, 1, 1, 0, 0, 0, DateTimeKind.Utc) },
        { "c_date", new DateTime(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc) },
        { "c_time", new TimeSpan(0, 26, 3, 4, 500) },
        { "c_time", -new TimeSpan(0, 0, 0, 1, 500) },
        { "c_time", TimeSpan.FromTicks(-(838L * TimeSpan.TicksPerHour + (59 * TimeSpan.TicksPerMinute) + (59 * TimeSpan.TicksPerSecond))) },
        { "c_time", TimeSpan.FromTicks(12345678) },
        { "c_time", TimeSpan.FromTicks(-5) },
        { "c_blob", new byte[] { 0, 39, 92, 255, 10, 13, 26 } },
        { "c_blob", Array.Empty<byte>() },
        { "c_json", """{"note": "it's \"quoted\", a back\\slash", "n": [1, 2.5, null]}""" },
        { "c_bool", true },
        { "c_year", 2026 },
        { "c_enum", "paid" },
        { "c_bit", 4095UL },
        { "c_set", "a,c" },
        { "c_char", new Guid("3f2504e0-4f89-11d3-9a0c-0305e82c3301") },
        { "c_point", new byte[] { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 240, 63, 0, 0, 0, 0, 0, 0, 0, 64 } },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public async Task AValueWrittenAsALiteralReadsBackAsTheSameValueSentAsAParameter(string column, object value)
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        await ExecuteAsync(connection, $"""
            CREATE TABLE IF NOT EXISTS literal_round_trip (
                id INT NOT NULL PRIMARY KEY,
                {string.Join(",\n", s_columns.Select(c => $"{c.Column} {c.Type} NULL"))}
            ) ENGINE = InnoDB
            """);
        var id = Random.Shared.Next(1, int.MaxValue / 2) * 2;

        var literal = new StringBuilder($"INSERT INTO literal_round_trip (id, {column}) VALUES ({id}, ");
        SqlLiteral.Append(literal, value);
        await ExecuteAsync(connection, literal.Append(')').ToString());

        await using (var insert = new MySqlCommand($"INSERT INTO literal_round_trip (id, {column}) VALUES (@Id, @Value)", connection))
        {
            insert.Parameters.AddWithValue("@Id", id + 1);
            insert.Parameters.AddWithValue("@Value", value);
            await insert.ExecuteNonQueryAsync();
        }

        var read = new List<object?>();
        await using (var select = new MySqlCommand($"SELECT {column}, HEX({column}) FROM literal_round_trip WHERE id IN ({id}, {id + 1}) ORDER BY id", connection))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                read.Add(reader.IsDBNull(0) ? null : reader.GetValue(0));
                read.Add(reader.GetString(1));
            }
        }

        Assert.Equal(4, read.Count);
        Assert.NotNull(read[0]);
        Assert.Equal(read[2], read[0]);
        Assert.Equal(read[3], read[1]);
    }

    [Theory]
    [InlineData("12345678901234567890123456789012345.1234567890", true)]
    [InlineData("-99999999999999999999999999999999999999999999999999999.9999999999", true)]
    [InlineData("0.0000000001", false)]
    public async Task ADecimalPastDotNetsDecimalIsReadExactlyAndWrittenBackTheSame(string value, bool pastDecimal)
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture));
        await connection.OpenAsync();
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS literal_wide_decimal (id INT NOT NULL PRIMARY KEY, v DECIMAL(65,10) NOT NULL) ENGINE = InnoDB");
        var id = Random.Shared.Next(1, int.MaxValue / 4) * 4;
        await ExecuteAsync(connection, $"INSERT INTO literal_wide_decimal (id, v) VALUES ({id}, {value})");

        object? read;
        await using (var select = new MySqlCommand($"SELECT v FROM literal_wide_decimal WHERE id = {id}", connection))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            read = SqlLiteral.Read(reader, 0);
        }

        var copy = new StringBuilder($"INSERT INTO literal_wide_decimal (id, v) VALUES ({id + 1}, ");
        SqlLiteral.Append(copy, read);
        await ExecuteAsync(connection, copy.Append(')').ToString());

        Assert.Equal(1L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(
            connection, $"SELECT COUNT(DISTINCT CAST(v AS CHAR)) FROM literal_wide_decimal WHERE id IN ({id}, {id + 1})"));
        Assert.Equal(pastDecimal, read is MySqlDecimal);

        // The merchant copy writes a row's values as parameters (MerchantCopyWriter): a wide one typed Decimal goes exactly.
        var parameters = new Dapper.DynamicParameters();
        parameters.Add("V", read, read is MySqlDecimal ? System.Data.DbType.Decimal : null);
        await Dapper.SqlMapper.ExecuteAsync(connection, $"INSERT INTO literal_wide_decimal (id, v) VALUES ({id + 2}, @V)", parameters);
        Assert.Equal(1L, await Dapper.SqlMapper.ExecuteScalarAsync<long>(
            connection, $"SELECT COUNT(DISTINCT CAST(v AS CHAR)) FROM literal_wide_decimal WHERE id IN ({id}, {id + 2})"));
    }

    private static async Task ExecuteAsync(MySqlConnection connection, string sql)
    {
        await using var command = new MySqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
