using ShardKit.MySqlClient;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.Tests.MySqlClient;

public sealed class PacketFramingTests
{
    private static byte[] Frame(byte sequence, byte[] payload) =>
        [(byte)payload.Length, (byte)(payload.Length >> 8), (byte)(payload.Length >> 16), sequence, .. payload];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadsConsecutivePacketsAndChecksSequenceIds(bool asynchronous)
    {
        var io = asynchronous ? IOBehavior.Asynchronous : IOBehavior.Synchronous;
        using var stream = new MemoryStream([.. Frame(1, [1, 2, 3]), .. Frame(2, []), .. Frame(3, [9])]);
        using var packets = new PacketStream(stream) { SequenceId = 1 };
        Assert.Equal(new byte[] { 1, 2, 3 }, (await packets.ReadPayloadAsync(io, default)).ToArray());
        Assert.Empty((await packets.ReadPayloadAsync(io, default)).ToArray());
        Assert.Equal(new byte[] { 9 }, (await packets.ReadPayloadAsync(io, default)).ToArray());
    }

    [Fact]
    public async Task AnOutOfOrderSequenceIdIsAProtocolError()
    {
        using var stream = new MemoryStream(Frame(5, [1]));
        using var packets = new PacketStream(stream) { SequenceId = 1 };
        var ex = await Assert.ThrowsAsync<MySqlException>(async () => await packets.ReadPayloadAsync(IOBehavior.Asynchronous, default));
        Assert.Equal(MySqlErrorCode.ProtocolError, ex.ErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PayloadsOfSixteenMegabytesOrMoreAreSplitAndJoined(bool asynchronous)
    {
        var io = asynchronous ? IOBehavior.Asynchronous : IOBehavior.Synchronous;
        var payload = new byte[PacketStream.MaxPacketPayload + 1000];
        new Random(7).NextBytes(payload);
        using var wire = new MemoryStream();
        using (var writer = new PacketStream(wire))
        {
            await writer.WritePayloadAsync(payload, io, default);
            Assert.Equal(2, writer.SequenceId);
        }

        var bytes = wire.ToArray();
        Assert.Equal(payload.Length + 8, bytes.Length);
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0 }, bytes[..4]);
        Assert.Equal(new byte[] { 0xE8, 0x03, 0x00, 1 }, bytes[(4 + PacketStream.MaxPacketPayload)..(8 + PacketStream.MaxPacketPayload)]);

        using var reader = new PacketStream(new MemoryStream(bytes));
        var read = await reader.ReadPayloadAsync(io, default);
        Assert.True(read.Span.SequenceEqual(payload));
    }

    [Fact]
    public async Task APayloadOfExactlyTheMaximumIsFollowedByAnEmptyPacket()
    {
        var payload = new byte[PacketStream.MaxPacketPayload];
        payload[^1] = 42;
        using var wire = new MemoryStream();
        using (var writer = new PacketStream(wire))
        {
            await writer.WritePayloadAsync(payload, IOBehavior.Asynchronous, default);
        }

        var bytes = wire.ToArray();
        Assert.Equal(payload.Length + 8, bytes.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 1 }, bytes[^4..]);

        using var reader = new PacketStream(new MemoryStream(bytes));
        var read = await reader.ReadPayloadAsync(IOBehavior.Asynchronous, default);
        Assert.Equal(payload.Length, read.Length);
        Assert.Equal(42, read.Span[^1]);
    }

    [Fact]
    public async Task ABuilderPayloadGoesOutWithItsHeaderInOneFrame()
    {
        using var wire = new MemoryStream();
        using var builder = new PayloadBuilder(4);
        builder.WriteByte(3);
        builder.WriteUtf8("SELECT 1");
        using (var writer = new PacketStream(wire))
        {
            await writer.WritePayloadAsync(builder, IOBehavior.Synchronous, default);
        }

        Assert.Equal(Frame(0, [3, .. "SELECT 1"u8.ToArray()]), wire.ToArray());
    }

    [Fact]
    public async Task AStreamThatEndsInsideAPacketFailsAsALostConnectionInsteadOfHanging()
    {
        using var reader = new PacketStream(new MemoryStream([10, 0, 0, 0, 1, 2]));
        var ex = await Assert.ThrowsAsync<MySqlException>(async () => await reader.ReadPayloadAsync(IOBehavior.Asynchronous, default));
        Assert.Equal(MySqlErrorCode.ConnectionLost, ex.ErrorCode);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(250UL)]
    [InlineData(251UL)]
    [InlineData(65535UL)]
    [InlineData(65536UL)]
    [InlineData(16777215UL)]
    [InlineData(16777216UL)]
    [InlineData(ulong.MaxValue)]
    public void LengthEncodedIntegersRoundTrip(ulong value)
    {
        using var builder = new PayloadBuilder();
        builder.WriteLengthEncodedInteger(value);
        var reader = new PayloadReader(builder.Payload.Span);
        Assert.Equal(value, reader.ReadLengthEncodedInteger());
        Assert.Equal(0, reader.Remaining);
    }
}
