using System.Text;
using ShardKit.MySqlClient;

namespace ShardKit.IntegrationTests.MySqlClient;

/// <summary>Random strings and byte arrays as parameters: each must come back exactly and never alter the statement around it.</summary>
[Collection("Server")]
public sealed class ParameterPropertyTests(ServerFixture fixture)
{
    private static readonly string[] s_tricky = ["'", "\"", "\\", "\0", "`", "--", "#", "/*", "*/", "@", "?", "@x", "?y", ";", "\n", "\r", "\x1a", "%", "_", "😀", "ñ", "'\\'", "\\'", "''", "\\\\'"];

    private static string RandomString(Random random)
    {
        var builder = new StringBuilder();
        var parts = random.Next(0, 12);
        for (var i = 0; i < parts; i++)
        {
            switch (random.Next(4))
            {
                case 0:
                    builder.Append(s_tricky[random.Next(s_tricky.Length)]);
                    break;
                case 1:
                    builder.Append((char)random.Next(0x20, 0x7F));
                    break;
                case 2:
                    // Any BMP scalar value except surrogates.
                    var c = (char)random.Next(0, 0xD800);
                    builder.Append(c);
                    break;
                default:
                    builder.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x10FFFF)));
                    break;
            }
        }

        return builder.ToString();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RandomStringsAndBytesRoundTripExactlyAndNeverChangeTheStatement(bool noBackslashEscapes)
    {
        var connectionString = await DriverDatabase.ConnectionStringAsync(fixture);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync();
        if (noBackslashEscapes)
        {
            await using var mode = new MySqlCommand("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')", connection);
            await mode.ExecuteNonQueryAsync();
        }

        var table = noBackslashEscapes ? "prop_nbe" : "prop_default";
        await using (var create = new MySqlCommand($"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id INT PRIMARY KEY, s LONGTEXT, b LONGBLOB) DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        var random = new Random(noBackslashEscapes ? 2 : 1);
        for (var i = 0; i < 300; i++)
        {
            var text = RandomString(random);
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);

            await using var select = new MySqlCommand("SELECT @s, 'sentinel', @b, ?", connection);
            select.Parameters.AddWithValue("s", text);
            select.Parameters.AddWithValue("b", bytes);
            select.Parameters.AddWithValue("", text);
            await using (var reader = await select.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());
                Assert.Equal(4, reader.FieldCount);
                Assert.Equal(text, reader.GetString(0));
                Assert.Equal("sentinel", reader.GetString(1));
                Assert.Equal(bytes, reader.GetFieldValue<byte[]>(2));
                Assert.Equal(text, reader.GetString(3));
                Assert.False(await reader.ReadAsync());
                Assert.False(await reader.NextResultAsync());
            }

            await using var insert = new MySqlCommand($"INSERT INTO {table} (id, s, b) VALUES (@id, @s, @b)", connection);
            insert.Parameters.AddWithValue("id", i);
            insert.Parameters.AddWithValue("s", text);
            insert.Parameters.AddWithValue("b", bytes);
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());

            await using var check = new MySqlCommand($"SELECT COUNT(*) FROM {table} WHERE id = @id AND s = @s AND b = @b", connection);
            check.Parameters.AddWithValue("id", i);
            check.Parameters.AddWithValue("s", text);
            check.Parameters.AddWithValue("b", bytes);
            Assert.Equal(1L, Convert.ToInt64(await check.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
        }

        await using var count = new MySqlCommand($"SELECT COUNT(*) FROM {table}", connection);
        Assert.Equal(300L, Convert.ToInt64(await count.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
