using System.Globalization;
using System.Text;
using ShardKit.Connections;
using Xunit;

namespace ShardKit.Tests.Connections;

public sealed class SqlLiteralTests
{
    [Theory]
    [InlineData("plain", "'plain'")]
    [InlineData("", "''")]
    [InlineData("it's", "'it''s'")]
    [InlineData("''", "''''''")]
    [InlineData("ünïcödé ✓", "'ünïcödé ✓'")]
    [InlineData("a\\b", "_utf8mb4 X'615C62'")]
    [InlineData("line\nbreak", "_utf8mb4 X'6C696E650A627265616B'")]
    [InlineData("del\u007f", "_utf8mb4 X'64656C7F'")]
    [InlineData("c1\u0085", "_utf8mb4 X'6331C285'")]
    [InlineData("quote' and \\", "_utf8mb4 X'71756F74652720616E64205C'")]
    public void Strings_are_quoted_or_sent_as_utf8_bytes(string value, string expected)
    {
        Assert.Equal(expected, Literal(value));
    }

    [Fact]
    public void Every_character_that_is_a_control_character_or_a_backslash_goes_as_bytes()
    {
        for (var c = (char)0; c < 0x3000; c++)
        {
            var literal = Literal("x" + c);
            var asBytes = c == '\\' || char.IsControl(c);
            Assert.True(asBytes == literal.StartsWith("_utf8mb4 X'", StringComparison.Ordinal), $"U+{(int)c:X4}: {literal}");
        }
    }

    [Theory]
    [InlineData(1L, 1, 1, 0, 0, 0, 0L)]
    [InlineData(2026L, 12, 7, 5, 42, 9, 1234567L)]
    [InlineData(999L, 2, 28, 23, 59, 59, 9999999L)]
    [InlineData(9999L, 12, 31, 23, 59, 59, 10L)]
    public void Date_times_are_written_to_the_microsecond(long year, int month, int day, int hour, int minute, int second, long ticks)
    {
        var value = new DateTime((int)year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"'{value:yyyy-MM-dd HH:mm:ss.ffffff}'"), Literal(value));
        Assert.Equal(Literal(value), Literal(new DateTimeOffset(value)));
    }

    [Fact]
    public void Numbers_and_other_values_have_their_invariant_forms()
    {
        Assert.Equal("-42", Literal(-42L));
        Assert.Equal("7", Literal(7));
        Assert.Equal("12345.60", Literal(12345.60m));
        Assert.Equal("NULL", Literal(null));
        Assert.Equal("NULL", Literal(DBNull.Value));
        Assert.Equal("1", Literal(true));
        Assert.Equal("0.1", Literal(0.1d));
        Assert.Equal("3.4028234663852886E+38", Literal(float.MaxValue));
        Assert.Equal("X'00FF'", Literal(new byte[] { 0, 255 }));
        Assert.Equal("'2026-12-07'", Literal(new DateOnly(2026, 12, 7)));
        Assert.Throws<ArgumentException>(() => Literal(new object()));
    }

    [Fact]
    public void Times_are_written_with_their_hours_counted_in_full_to_the_microsecond()
    {
        Assert.Equal("'26:03:04.500000'", Literal(new TimeSpan(0, 26, 3, 4, 500)));
        Assert.Equal("'-838:59:59.000000'", Literal(-new TimeSpan(0, 838, 59, 59)));
        Assert.Equal("'-0:00:01.500000'", Literal(-new TimeSpan(0, 0, 0, 1, 500)));
        Assert.Equal("'0:00:01.234567'", Literal(TimeSpan.FromTicks(12345678)));
        Assert.Equal("'0:00:00.000000'", Literal(TimeSpan.FromTicks(-5)));
    }

    private static string Literal(object? value)
    {
        var sql = new StringBuilder();
        SqlLiteral.Append(sql, value);
        return sql.ToString();
    }
}
