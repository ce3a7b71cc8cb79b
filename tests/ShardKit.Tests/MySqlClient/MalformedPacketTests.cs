using System.Text;
using ShardKit.MySqlClient;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.Tests.MySqlClient;

public sealed class MalformedPacketTests
{
    private static readonly byte[] s_validOk = [0x00, 0x01, 0x05, 0x02, 0x40, 0x00, 0x00, 0x00, 0x0E, 0x00, 0x0C, 0x09, (byte)'l', (byte)'a', (byte)'s', (byte)'t', (byte)'_', (byte)'g', (byte)'t', (byte)'i', (byte)'d', 0x01, (byte)'x'];

    private static byte[] ValidColumnDefinition()
    {
        using var builder = new PayloadBuilder();
        foreach (var part in new[] { "def", "db", "t", "t", "c", "c" })
        {
            builder.WriteLengthEncodedString(part);
        }

        builder.WriteByte(0x0C);
        builder.WriteUInt16(45);
        builder.WriteUInt32(255);
        builder.WriteByte((byte)ColumnType.VarString);
        builder.WriteUInt16(0);
        builder.WriteByte(0);
        builder.WriteUInt16(0);
        return builder.Payload.ToArray();
    }

    private static byte[] ValidHandshake() =>
        FakeMySqlServer.Handshake(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray(), "mysql_native_password", FakeMySqlServer.BasicCapabilities);

    private static readonly Action<byte[]>[] s_parsers =
    [
        p => OkPacket.Parse(p, sessionTrack: true),
        p => ErrorPacket.Parse(p),
        p => ColumnDefinition.Parse(p),
        p => InitialHandshake.Parse(p),
    ];

    [Fact]
    public void ParsesAValidOkPacketWithSessionStateChanges()
    {
        var ok = OkPacket.Parse(s_validOk, sessionTrack: true);
        Assert.Equal(1UL, ok.AffectedRows);
        Assert.Equal(5UL, ok.LastInsertId);
        Assert.Equal("x", ok.LastGtid);
        Assert.False(ok.StateChanged);
    }

    [Fact]
    public void AStateChangeEntryOrAnotherTrackedVariableMarksTheStateChangedButTheLastGtidAloneDoesNot()
    {
        // SESSION_TRACK_STATE_CHANGE (type 2) with the value "1", as MariaDB sends after SET @x = 1.
        byte[] stateChange = [0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x03, 0x02, 0x01, (byte)'1'];
        Assert.True(OkPacket.Parse(stateChange, sessionTrack: true).StateChanged);

        // A tracked system variable other than last_gtid (after a user widened session_track_system_variables).
        byte[] sqlMode = [0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x0D, 0x00, 0x0B, 0x08, (byte)'s', (byte)'q', (byte)'l', (byte)'_', (byte)'m', (byte)'o', (byte)'d', (byte)'e', 0x01, (byte)'x'];
        Assert.True(OkPacket.Parse(sqlMode, sessionTrack: true).StateChanged);

        // The default schema.
        byte[] schema = [0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x04, 0x01, 0x02, 0x01, (byte)'d'];
        var parsed = OkPacket.Parse(schema, sessionTrack: true);
        Assert.True(parsed.StateChanged);
        Assert.Equal("d", parsed.Schema);
    }

    [Theory]
    [InlineData("SELECT GET_LOCK('k', 0)", false, true)]
    [InlineData("lock tables t write", false, true)]
    [InlineData("HANDLER t OPEN", false, true)]
    [InlineData("CALL refresh_totals()", false, true)]
    [InlineData("SELECT @total := 1", true, true)]
    [InlineData("SELECT c FROM sbtest1 WHERE id = @id", false, false)]
    [InlineData("SELECT c FROM sbtest1 WHERE id = @id", true, true)]
    [InlineData("INSERT INTO orders (id, status) VALUES (@id, @status)", false, false)]
    public void StatementsWhoseEffectsTheServerDoesNotReportMarkTheSessionForReset(string sql, bool allowUserVariables, bool expected) =>
        Assert.Equal(expected, ServerSession.MayChangeUntrackedState(sql, allowUserVariables));

    [Fact]
    public void ParsesMySqlGtidTrackingEntries()
    {
        var gtid = Encoding.ASCII.GetBytes("3E11FA47-71CA-11E1-9E33-C80AA9429562:23");
        byte[] entry = [0x00, (byte)gtid.Length, .. gtid];
        byte[] changes = [0x03, (byte)entry.Length, .. entry];
        byte[] packet = [0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, (byte)changes.Length, .. changes];
        Assert.Equal("3E11FA47-71CA-11E1-9E33-C80AA9429562:23", OkPacket.Parse(packet, sessionTrack: true).LastGtid);
    }

    [Fact]
    public void TruncatedColumnDefinitionsAndHandshakesAreProtocolErrors()
    {
        var column = ValidColumnDefinition();
        ColumnDefinition.Parse(column);
        for (var length = 0; length < column.Length; length++)
        {
            var ex = Assert.Throws<MySqlException>(() => ColumnDefinition.Parse(column.AsSpan(0, length)));
            Assert.Equal(MySqlErrorCode.ProtocolError, ex.ErrorCode);
        }

        // Everything up to the plugin name is required; the plugin name may lack its NUL (a known server quirk).
        var handshake = ValidHandshake();
        var pluginStart = handshake.Length - "mysql_native_password".Length - 1;
        for (var length = 0; length < pluginStart; length++)
        {
            if (length == 21 + "8.0.36".Length)
            {
                continue; // a pre-4.1 short handshake ends here; it is rejected for lacking protocol 4.1 below
            }

            var ex = Assert.Throws<MySqlException>(() => InitialHandshake.Parse(handshake.AsSpan(0, length)));
            Assert.Equal(MySqlErrorCode.ProtocolError, ex.ErrorCode);
        }
    }

    [Fact]
    public void TruncatedOkPacketsParseOnlyWhenTheCutRemovesTheOptionalSessionState()
    {
        for (var length = 0; length < s_validOk.Length; length++)
        {
            var truncated = s_validOk[..length];
            if (length is 7 or 8)
            {
                Assert.Null(OkPacket.Parse(truncated, sessionTrack: true).LastGtid);
                continue;
            }

            var ex = Assert.Throws<MySqlException>(() => OkPacket.Parse(truncated, sessionTrack: true));
            Assert.Equal(MySqlErrorCode.ProtocolError, ex.ErrorCode);
        }
    }

    [Fact]
    public void RandomBytesNeverEscapeAsAnythingButAProtocolError()
    {
        var random = new Random(12345);
        byte[][] seeds = [s_validOk, ValidColumnDefinition(), ValidHandshake(), [0xFF, 0x15, 0x04, (byte)'#', .. "28000denied"u8.ToArray()]];
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            byte[] input;
            if (iteration % 2 == 0)
            {
                input = new byte[random.Next(0, 64)];
                random.NextBytes(input);
            }
            else
            {
                // Mutate a valid packet: flip a few bytes (lengths become huge, negative-looking or 0xFB/0xFF).
                input = (byte[])seeds[random.Next(seeds.Length)].Clone();
                for (var flips = random.Next(1, 4); flips > 0 && input.Length > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            foreach (var parse in s_parsers)
            {
                try
                {
                    parse(input);
                }
                catch (MySqlException ex)
                {
                    // A handshake starting with 0xFF is a genuine ERR packet, surfaced as the server's error.
                    Assert.True(ex.ErrorCode is MySqlErrorCode.ProtocolError || input[0] == 0xFF, $"Unexpected error {ex.ErrorCode}");
                }
            }
        }
    }

    [Fact]
    public async Task RandomByteStreamsEndInAMySqlExceptionNotAHangOrACrash()
    {
        var random = new Random(99);
        for (var iteration = 0; iteration < 2_000; iteration++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            using var packets = new PacketStream(new MemoryStream(bytes));
            var ex = await Assert.ThrowsAsync<MySqlException>(async () =>
            {
                while (true)
                {
                    await packets.ReadPayloadAsync(IOBehavior.Asynchronous, default);
                }
            });
            Assert.True(ex.ErrorCode is MySqlErrorCode.ProtocolError or MySqlErrorCode.ConnectionLost, $"Unexpected error {ex.ErrorCode}");
        }
    }

    [Fact]
    public async Task AGarbledResultFromTheServerFailsTheCommandAndBreaksTheConnection()
    {
        var random = new Random(5);
        for (var iteration = 0; iteration < 40; iteration++)
        {
            var garbage = new byte[random.Next(1, 80)];
            random.NextBytes(garbage);
            await using var server = new FakeMySqlServer(async c =>
            {
                await c.WritePacketAsync(0, ValidHandshakeWithNativePassword());
                await c.ReadPacketAsync();
                await c.WritePacketAsync(2, FakeMySqlServer.Ok);
                await c.ReadPacketAsync();

                // A result header announcing one column, then a random column definition and random row bytes.
                await c.WritePacketAsync(1, [0x01]);
                await c.WritePacketAsync(2, garbage);
                await c.WritePacketAsync(3, garbage);
                await c.WritePacketAsync(4, [0xFE, 0, 0, 2, 0, 0, 0]);
            });

            await using var connection = new MySqlConnection($"Server=127.0.0.1;Port={server.Port};User ID=u;Password=p;Pooling=false;SslMode=None;Connection Timeout=60");
            await connection.OpenAsync();
            await using var command = new MySqlCommand("SELECT x", connection) { CommandTimeout = 0 };
            try
            {
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    reader.GetValue(0);
                }
            }
            catch (MySqlException ex)
            {
                Assert.True(ex.ErrorCode is MySqlErrorCode.ProtocolError or MySqlErrorCode.ConnectionLost || ex.Number < 2000, $"Unexpected error {ex.ErrorCode}");
            }
            catch (InvalidCastException)
            {
                // A random definition may parse as a column type whose random value does not convert.
            }
        }
    }

    private static byte[] ValidHandshakeWithNativePassword() =>
        FakeMySqlServer.Handshake(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray(), "mysql_native_password", FakeMySqlServer.BasicCapabilities);
}
