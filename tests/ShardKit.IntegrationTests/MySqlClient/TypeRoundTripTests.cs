using ShardKit.MySqlClient;

namespace ShardKit.IntegrationTests.MySqlClient;

[Collection("Server")]
public sealed class TypeRoundTripTests(ServerFixture fixture)
{
    private const string Columns =
        "id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, mi MEDIUMINT, mu MEDIUMINT UNSIGNED, " +
        "i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, b1 TINYINT(1), bit1 BIT(1), bit64 BIT(64), dec65 DECIMAL(65,30), dc DECIMAL(19,4), " +
        "f FLOAT, d DOUBLE, dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR, c CHAR(10), vc VARCHAR(255), tx LONGTEXT, " +
        "bin BINARY(16), vb VARBINARY(255), bl LONGBLOB, js JSON, en ENUM('red','green'), st SET('a','b','c'), g36 CHAR(36), nul INT NULL";

    private sealed record Row(
        long Id, sbyte Ti, byte Tu, short Si, ushort Su, int Mi, uint Mu, int I, uint Iu, long Bi, ulong Bu, bool B1, bool Bit1, ulong Bit64,
        decimal Dec65, decimal Dec, float F, double D, DateTime Dt, DateTime Dtm, DateTime Ts, TimeSpan Tm, int Y, string C, string Vc, string Tx,
        byte[] Bin, byte[] Vb, byte[] Bl, string Js, string En, string St, Guid G36);

    private static readonly Row s_minimum = new(
        1, sbyte.MinValue, 0, short.MinValue, 0, -8388608, 0, int.MinValue, 0, long.MinValue, 0, false, false, 0,
        -7922816251426433759354395033.5m, -999999999999999.9999m,
        -3.40282e38f, double.MinValue, new DateTime(1000, 1, 1), new DateTime(1000, 1, 1, 0, 0, 0), new DateTime(1970, 1, 2, 0, 0, 0),
        new TimeSpan(-34, -22, -59, -59), 1901, "", "", "", new byte[16], [], [], "[]", "red", "", Guid.Empty);

    private static readonly Row s_maximum = new(
        2, sbyte.MaxValue, byte.MaxValue, short.MaxValue, ushort.MaxValue, 8388607, 16777215, int.MaxValue, uint.MaxValue, long.MaxValue, ulong.MaxValue,
        true, true, ulong.MaxValue, 7922816251426433759354395033.5m, 999999999999999.9999m, 3.40282e38f, double.MaxValue,
        new DateTime(9999, 12, 31), new DateTime(9999, 12, 31, 23, 59, 59).AddTicks(9999990), new DateTime(2038, 1, 18, 3, 14, 7).AddTicks(9999990),
        new TimeSpan(34, 22, 59, 58).Add(TimeSpan.FromTicks(9999990)), 2155, "tenchars!!", "quote ' backslash \\ nul \0 emoji 😀 ñ", new string('x', 70_000) + "😀",
        Enumerable.Range(0, 16).Select(i => (byte)(255 - i)).ToArray(), [0, 39, 92, 255, 0x1A], Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray(),
        "{\"k\": [1, \"two\", null]}", "green", "a,c", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"));

    [Fact]
    public async Task EveryColumnTypeRoundTripsAtItsExtremes()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new MySqlCommand($"DROP TABLE IF EXISTS all_types; CREATE TABLE all_types ({Columns}) DEFAULT CHARSET=utf8mb4", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        foreach (var row in new[] { s_minimum, s_maximum })
        {
            await using var insert = new MySqlCommand(
                "INSERT INTO all_types VALUES (@Id,@Ti,@Tu,@Si,@Su,@Mi,@Mu,@I,@Iu,@Bi,@Bu,@B1,@Bit1,@Bit64,@Dec65,@Dec,@F,@D,@Dt,@Dtm,@Ts,@Tm,@Y,@C,@Vc,@Tx,@Bin,@Vb,@Bl,@Js,@En,@St,@G36,NULL)",
                connection);
            foreach (var property in typeof(Row).GetProperties())
            {
                insert.Parameters.AddWithValue(property.Name, property.GetValue(row));
            }

            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        await using var select = new MySqlCommand("SELECT * FROM all_types ORDER BY id", connection);
        await using var reader = await select.ExecuteReaderAsync();
        foreach (var expected in new[] { s_minimum, s_maximum })
        {
            Assert.True(await reader.ReadAsync());
            Assert.Equal(expected.Ti, reader.GetFieldValue<sbyte>(1));
            Assert.Equal(expected.Tu, reader.GetFieldValue<byte>(2));
            Assert.Equal(expected.Si, reader.GetInt16(3));
            Assert.Equal(expected.Su, reader.GetFieldValue<ushort>(4));
            Assert.Equal(expected.Mi, reader.GetInt32(5));
            Assert.Equal(expected.Mu, reader.GetFieldValue<uint>(6));
            Assert.Equal(expected.I, reader.GetInt32(7));
            Assert.Equal(expected.Iu, reader.GetFieldValue<uint>(8));
            Assert.Equal(expected.Bi, reader.GetInt64(9));
            Assert.Equal(expected.Bu, reader.GetFieldValue<ulong>(10));
            Assert.Equal(expected.Bu, reader.GetValue(10));
            Assert.Equal(expected.B1, reader.GetBoolean(11));
            Assert.Equal(expected.B1, reader.GetValue(11));
            Assert.Equal(expected.Bit1, reader.GetValue(12));
            Assert.Equal(expected.Bit64, reader.GetValue(13));
            Assert.Equal(expected.Dec65, reader.GetDecimal(14));
            Assert.Equal(expected.Dec, reader.GetValue(15));
            Assert.Equal(expected.F, reader.GetFloat(16));
            Assert.Equal(expected.D, reader.GetValue(17));
            Assert.Equal(expected.Dt, reader.GetValue(18));
            Assert.Equal(DateOnly.FromDateTime(expected.Dt), reader.GetFieldValue<DateOnly>(18));
            Assert.Equal(expected.Dtm, reader.GetDateTime(19));
            Assert.Equal(expected.Ts, reader.GetValue(20));
            Assert.Equal(expected.Tm, reader.GetValue(21));
            Assert.Equal(expected.Y, reader.GetValue(22));
            Assert.Equal(expected.C, reader.GetString(23));
            Assert.Equal(expected.Vc, reader.GetValue(24));
            Assert.Equal(expected.Tx, reader.GetFieldValue<string>(25));
            Assert.Equal(expected.Bin, reader.GetValue(26));
            Assert.Equal(expected.Vb, reader.GetFieldValue<byte[]>(27));
            Assert.Equal(expected.Bl, reader.GetValue(28));
            Assert.Equal(expected.Js, reader.GetString(29));
            Assert.Equal(expected.En, reader.GetValue(30));
            Assert.Equal(expected.St, reader.GetValue(31));
            Assert.Equal(expected.G36, reader.GetGuid(32));
            Assert.True(reader.IsDBNull(33));
            Assert.Equal(DBNull.Value, reader.GetValue(33));
            Assert.Null(reader.GetFieldValue<int?>(33));
        }

        Assert.False(await reader.ReadAsync());
        Assert.Equal(typeof(ulong), reader.GetFieldType(10));
        Assert.Equal(typeof(bool), reader.GetFieldType(11));
        Assert.Equal(typeof(byte[]), reader.GetFieldType(26));
        Assert.Equal(typeof(TimeSpan), reader.GetFieldType(21));
    }

    [Fact]
    public async Task GuidsRoundTripAsChar36AndAsBinary16()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        var guid = Guid.NewGuid();
        await using var command = new MySqlCommand("SELECT @g, CAST(@b AS BINARY(16))", connection);
        command.Parameters.AddWithValue("g", guid);
        command.Parameters.Add(new MySqlParameter("b", guid) { DbType = System.Data.DbType.Binary });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(guid, reader.GetGuid(0));
        Assert.Equal(guid.ToString(), reader.GetString(0));
        Assert.Equal(guid, reader.GetFieldValue<Guid>(1));
        Assert.Equal(guid.ToByteArray(bigEndian: true), reader.GetFieldValue<byte[]>(1));
    }

    [Fact]
    public async Task DateTimeOffsetDateOnlyTimeOnlyAndEnumParametersAreStoredAsTheirSqlEquivalents()
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SELECT CAST(@dto AS DATETIME(6)), CAST(@d AS DATE), CAST(@t AS TIME(6)), @e + 0, @m", connection);
        command.Parameters.AddWithValue("dto", new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(-5)));
        command.Parameters.AddWithValue("d", new DateOnly(2024, 2, 29));
        command.Parameters.AddWithValue("t", new TimeOnly(23, 59, 59, 999, 999));
        command.Parameters.AddWithValue("e", DayOfWeek.Friday);
        command.Parameters.AddWithValue("m", new ReadOnlyMemory<byte>([1, 2, 3]));
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(new DateTime(2024, 5, 6, 12, 8, 9), reader.GetDateTime(0));
        Assert.Equal(new DateOnly(2024, 2, 29), reader.GetFieldValue<DateOnly>(1));
        Assert.Equal(new TimeOnly(23, 59, 59, 999, 999), reader.GetFieldValue<TimeOnly>(2));
        Assert.Equal(5L, reader.GetInt64(3));
        Assert.Equal(DayOfWeek.Friday, reader.GetFieldValue<DayOfWeek>(3));
        Assert.Equal(new byte[] { 1, 2, 3 }, reader.GetFieldValue<byte[]>(4));
    }
}
