using System.Text;
using ShardKit.MySqlClient.Types;

namespace ShardKit.Tests.MySqlClient;

public sealed class TextValueReaderTests
{
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    [Theory]
    [InlineData("2024-02-29", 2024, 2, 29, 0, 0, 0, 0)]
    [InlineData("2024-02-29 13:14:15", 2024, 2, 29, 13, 14, 15, 0)]
    [InlineData("9999-12-31 23:59:59.999999", 9999, 12, 31, 23, 59, 59, 999999)]
    [InlineData("1000-01-01 00:00:00.5", 1000, 1, 1, 0, 0, 0, 500000)]
    public void ParsesDatesAndDateTimesWithMicroseconds(string text, int y, int mo, int d, int h, int mi, int s, int micro) =>
        Assert.Equal(new DateTime(y, mo, d, h, mi, s).AddTicks(micro * 10L), TextValueReader.ParseDateTime(Ascii(text)));

    [Fact]
    public void TheZeroDateIsAnInvalidCast() =>
        Assert.Throws<InvalidCastException>(() => TextValueReader.ParseDateTime(Ascii("0000-00-00 00:00:00")));

    [Theory]
    [InlineData("00:00:00", 0L)]
    [InlineData("838:59:59.000000", 3020399L * 10_000_000)]
    [InlineData("-838:59:59", -3020399L * 10_000_000)]
    [InlineData("-00:00:00.000001", -10L)]
    [InlineData("12:34:56.789", ((12 * 3600) + (34 * 60) + 56) * 10_000_000L + 7_890_000)]
    public void ParsesTimesBeyondADayAndNegative(string text, long ticks) =>
        Assert.Equal(new TimeSpan(ticks), TextValueReader.ParseTime(Ascii(text)));

    [Theory]
    [InlineData("2024-1-02")]
    [InlineData("2024-01-02T03:04:05")]
    [InlineData("abcd-ef-gh")]
    [InlineData("2024-01-02 03:04:05.1234567")]
    public void RejectsMalformedDates(string text) =>
        Assert.ThrowsAny<FormatException>(() => TextValueReader.ParseDateTime(Ascii(text)));
}
