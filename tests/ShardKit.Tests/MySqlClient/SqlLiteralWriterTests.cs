using System.Data;
using System.Globalization;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Types;

namespace ShardKit.Tests.MySqlClient;

public sealed class SqlLiteralWriterTests
{
    private enum Color : short
    {
        Blue = 3,
    }

    [Fact]
    public void FormatsNumbersInvariantlyWhateverTheCurrentCulture()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            Assert.Equal("1.5", SqlLiteralWriter.Format(1.5m));
            Assert.Equal("0.1", SqlLiteralWriter.Format(0.1d));
            Assert.Equal("-2.5", SqlLiteralWriter.Format(-2.5f));
            Assert.Equal("18446744073709551615", SqlLiteralWriter.Format(ulong.MaxValue));
            Assert.Equal("-9223372036854775808", SqlLiteralWriter.Format(long.MinValue));
            Assert.Equal("'2024-02-29 13:14:15.123456'", SqlLiteralWriter.Format(new DateTime(2024, 2, 29, 13, 14, 15).AddTicks(1234560)));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void FormatsEveryCoreType()
    {
        Assert.Equal("NULL", SqlLiteralWriter.Format(null));
        Assert.Equal("NULL", SqlLiteralWriter.Format(DBNull.Value));
        Assert.Equal("1", SqlLiteralWriter.Format(true));
        Assert.Equal("0", SqlLiteralWriter.Format(false));
        Assert.Equal("3", SqlLiteralWriter.Format(Color.Blue));
        Assert.Equal("'2024-01-02'", SqlLiteralWriter.Format(new DateOnly(2024, 1, 2)));
        Assert.Equal("'23:59:58.000001'", SqlLiteralWriter.Format(new TimeOnly(23, 59, 58).Add(TimeSpan.FromTicks(10))));
        Assert.Equal("'-838:59:59.000000'", SqlLiteralWriter.Format(-new TimeSpan(34, 22, 59, 59)));
        Assert.Equal("'2024-01-02 01:00:00.000000'", SqlLiteralWriter.Format(new DateTimeOffset(2024, 1, 2, 3, 0, 0, TimeSpan.FromHours(2))));
        Assert.Equal("'00000000-0000-0000-0000-000000000001'", SqlLiteralWriter.Format(new Guid("00000000-0000-0000-0000-000000000001")));
        Assert.Equal("_binary'\u0001\\0'''", SqlLiteralWriter.Format(new byte[] { 1, 0, (byte)'\'' }));
        Assert.Equal("_binary'ab'", SqlLiteralWriter.Format(new ReadOnlyMemory<byte>("ab"u8.ToArray())));
    }

    [Fact]
    public void AGuidWithDbTypeBinaryIsSixteenBigEndianBytes()
    {
        using var builder = new PayloadBuilder();
        SqlLiteralWriter.Write(builder, "g", new Guid("11223344-5566-7788-99aa-bbccddeeff01"), DbType.Binary, noBackslashEscapes: false);
        byte[] expected = [.. "_binary'"u8.ToArray(), 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x01, (byte)'\''];
        Assert.Equal(expected, builder.Payload.ToArray());
    }

    [Fact]
    public void NaNAndInfinityAreRejectedNamingTheParameter()
    {
        var ex = Assert.Throws<ArgumentException>(() => SqlLiteralWriter.Format(double.NaN));
        Assert.Contains("'value'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SqlLiteralWriter.Format(float.PositiveInfinity));
    }

    [Fact]
    public void UnsupportedTypesAreRejectedNamingTheType()
    {
        var ex = Assert.Throws<ArgumentException>(() => SqlLiteralWriter.Format(new object()));
        Assert.Contains("System.Object", ex.Message, StringComparison.Ordinal);
    }
}
