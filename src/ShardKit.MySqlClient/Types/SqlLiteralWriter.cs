using System.Data;
using System.Globalization;
using System.Numerics;
using System.Text;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Types;

/// <summary>
/// Writes parameter values as SQL literals for the text protocol, formatted invariantly. Strings and bytes are
/// quoted and escaped so that no value can end the literal early: a quote is doubled, and when the server honours
/// backslash escapes (no NO_BACKSLASH_ESCAPES in sql_mode) backslash and NUL are escaped too. The connection's
/// character set is always utf8mb4, in which the bytes 0x00, 0x27 and 0x5C only ever stand for themselves.
/// </summary>
internal static class SqlLiteralWriter
{
    public static void Write(PayloadBuilder builder, string parameterName, object? value, DbType? dbType, bool noBackslashEscapes)
    {
        switch (value)
        {
            case null or DBNull:
                builder.WriteAscii("NULL");
                return;
            case string s:
                WriteString(builder, s, noBackslashEscapes);
                return;
            case char c:
                WriteString(builder, c.ToString(), noBackslashEscapes);
                return;
            case bool b:
                builder.WriteAscii(b ? "1" : "0");
                return;
            case byte[] bytes:
                WriteBinary(builder, bytes, noBackslashEscapes);
                return;
            case ReadOnlyMemory<byte> rom:
                WriteBinary(builder, rom.Span, noBackslashEscapes);
                return;
            case Memory<byte> mem:
                WriteBinary(builder, mem.Span, noBackslashEscapes);
                return;
            case ArraySegment<byte> segment:
                WriteBinary(builder, segment.AsSpan(), noBackslashEscapes);
                return;
            case Guid guid when dbType == DbType.Binary:
                Span<byte> guidBytes = stackalloc byte[16];
                guid.TryWriteBytes(guidBytes, bigEndian: true, out _);
                WriteBinary(builder, guidBytes, noBackslashEscapes);
                return;
            case Guid guid:
                WriteQuoted(builder, guid, "D");
                return;
            case Enum e:
                WriteInteger(builder, e);
                return;
            case sbyte or byte or short or ushort or int or uint or long or ulong:
                WriteFormatted(builder, (IUtf8SpanFormattable)value, default);
                return;
            case decimal d:
                WriteFormatted(builder, d, default);
                return;
            case double d:
                WriteDouble(builder, parameterName, d);
                return;
            case float f:
                WriteFloat(builder, parameterName, f);
                return;
            case BigInteger big:
                builder.WriteAscii(big.ToString(CultureInfo.InvariantCulture));
                return;
            case DateTime dt:
                WriteQuoted(builder, dt, "yyyy'-'MM'-'dd' 'HH':'mm':'ss'.'ffffff");
                return;
            case DateTimeOffset dto:
                WriteQuoted(builder, dto.UtcDateTime, "yyyy'-'MM'-'dd' 'HH':'mm':'ss'.'ffffff");
                return;
            case DateOnly date:
                WriteQuoted(builder, date, "yyyy'-'MM'-'dd");
                return;
            case TimeOnly time:
                WriteQuoted(builder, time, "HH':'mm':'ss'.'ffffff");
                return;
            case TimeSpan span:
                WriteTimeSpan(builder, span);
                return;
            default:
                throw new ArgumentException(
                    $"Parameter '{parameterName}' has a value of type {value.GetType().FullName}, which cannot be sent to MySQL. Supported: strings, numbers, bool, Guid, enums, byte[]/ReadOnlyMemory<byte>, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, null.",
                    parameterName);
        }
    }

    public static void WriteString(PayloadBuilder builder, string value, bool noBackslashEscapes)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (maxBytes <= 512)
        {
            Span<byte> utf8 = stackalloc byte[maxBytes];
            var length = Encoding.UTF8.GetBytes(value, utf8);
            WriteEscaped(builder, utf8[..length], noBackslashEscapes, binary: false);
        }
        else
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            WriteEscaped(builder, utf8, noBackslashEscapes, binary: false);
        }
    }

    public static void WriteBinary(PayloadBuilder builder, ReadOnlySpan<byte> value, bool noBackslashEscapes) =>
        WriteEscaped(builder, value, noBackslashEscapes, binary: true);

    private static void WriteEscaped(PayloadBuilder builder, ReadOnlySpan<byte> value, bool noBackslashEscapes, bool binary)
    {
        var prefix = binary ? "_binary'"u8 : "'"u8;
        var span = builder.GetSpan(prefix.Length + (value.Length * 2) + 1);
        prefix.CopyTo(span);
        var position = prefix.Length;
        foreach (var b in value)
        {
            switch (b)
            {
                case (byte)'\'':
                    span[position++] = (byte)'\'';
                    span[position++] = (byte)'\'';
                    break;
                case (byte)'\\' when !noBackslashEscapes:
                    span[position++] = (byte)'\\';
                    span[position++] = (byte)'\\';
                    break;
                case 0 when !noBackslashEscapes:
                    span[position++] = (byte)'\\';
                    span[position++] = (byte)'0';
                    break;
                default:
                    span[position++] = b;
                    break;
            }
        }

        span[position++] = (byte)'\'';
        builder.Advance(position);
    }

    private static void WriteInteger(PayloadBuilder builder, Enum value)
    {
        var underlying = Convert.ChangeType(value, Enum.GetUnderlyingType(value.GetType()), CultureInfo.InvariantCulture);
        WriteFormatted(builder, (IUtf8SpanFormattable)underlying, default);
    }

    private static void WriteDouble(PayloadBuilder builder, string parameterName, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Parameter '{parameterName}' is {value}; MySQL cannot store NaN or infinity.", parameterName);
        }

        WriteFormatted(builder, value, "R");
    }

    private static void WriteFloat(PayloadBuilder builder, string parameterName, float value)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentException($"Parameter '{parameterName}' is {value}; MySQL cannot store NaN or infinity.", parameterName);
        }

        WriteFormatted(builder, value, "R");
    }

    private static void WriteTimeSpan(PayloadBuilder builder, TimeSpan value)
    {
        var negative = value < TimeSpan.Zero;
        var magnitude = negative ? value.Duration() : value;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"'{(negative ? "-" : "")}{(long)magnitude.TotalHours}:{magnitude.Minutes:00}:{magnitude.Seconds:00}.{magnitude.Ticks % TimeSpan.TicksPerSecond / 10:000000}'");
        builder.WriteAscii(text);
    }

    private static void WriteQuoted<T>(PayloadBuilder builder, T value, string format)
        where T : IUtf8SpanFormattable
    {
        builder.WriteByte((byte)'\'');
        WriteFormatted(builder, value, format);
        builder.WriteByte((byte)'\'');
    }

    private static void WriteFormatted<T>(PayloadBuilder builder, T value, ReadOnlySpan<char> format)
        where T : IUtf8SpanFormattable
    {
        var span = builder.GetSpan(64);
        if (!value.TryFormat(span, out var written, format, CultureInfo.InvariantCulture))
        {
            span = builder.GetSpan(512);
            value.TryFormat(span, out written, format, CultureInfo.InvariantCulture);
        }

        builder.Advance(written);
    }

    /// <summary>Formats a value exactly as <see cref="Write"/> does, for tests and diagnostics.</summary>
    public static string Format(object? value, DbType? dbType = null, bool noBackslashEscapes = false)
    {
        using var builder = new PayloadBuilder(64);
        Write(builder, "value", value, dbType, noBackslashEscapes);
        return Encoding.UTF8.GetString(builder.Payload.Span);
    }
}
