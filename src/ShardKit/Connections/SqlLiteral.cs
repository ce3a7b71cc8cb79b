using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text;
using MySqlConnector;

namespace ShardKit.Connections;

/// <summary>
/// Values written into SQL text as literals, as <c>mariadb-dump</c> writes them: a batch of thousands of rows then costs the
/// client one string, not a parameter object per value that the driver substitutes again. Strings go in quotes with quotes
/// doubled; a string with a backslash or a control character goes as <c>_utf8mb4 X'…'</c>, which means the same under every
/// <c>sql_mode</c> (<c>NO_BACKSLASH_ESCAPES</c> or not).
/// </summary>
internal static class SqlLiteral
{
    // A quote, a backslash or a control character (C0, DEL, C1): a string without any goes as it is, in quotes.
    private static readonly SearchValues<char> s_special = SearchValues.Create(
        "'\\" + new string([.. Enumerable.Range(0, 32).Select(c => (char)c), .. Enumerable.Range(127, 33).Select(c => (char)c)]));

    /// <summary>
    /// A column's value as a copy carries it to <see cref="Append"/>: null for SQL NULL, else what the driver returns, except
    /// a <c>DECIMAL</c> past .NET's <see cref="decimal"/> (more than 28 or 29 digits: the driver cannot convert it), which is
    /// read exactly, as a <see cref="MySqlDecimal"/>.
    /// </summary>
    public static object? Read(DbDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        try
        {
            return reader.GetValue(ordinal);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException && reader.GetFieldType(ordinal) == typeof(decimal))
        {
            // Through GetFieldValue, so a reader that wraps MySqlConnector's (Dapper's) passes the request on.
            return reader.GetFieldValue<MySqlDecimal>(ordinal);
        }
    }

    /// <summary>Appends <paramref name="value"/> as a literal.</summary>
    /// <exception cref="ArgumentException">A value of a type that has no literal form here.</exception>
    public static void Append(StringBuilder sql, object? value)
    {
        // The types a copy meets most come first (each case is a type test).
        switch (value)
        {
            case string text:
                AppendString(sql, text);
                break;
            case long l:
                sql.Append(l);
                break;
            case DateTime dt:
                AppendDateTime(sql, dt);
                break;
            case decimal d:
                sql.Append(d.ToString(CultureInfo.InvariantCulture));
                break;
            case int i:
                sql.Append(i);
                break;
            case null or DBNull:
                sql.Append("NULL");
                break;
            case short s:
                sql.Append(s);
                break;
            case byte b:
                sql.Append(b);
                break;
            case sbyte sb:
                sql.Append(sb);
                break;
            case ulong ul:
                sql.Append(ul);
                break;
            case uint ui:
                sql.Append(ui);
                break;
            case ushort us:
                sql.Append(us);
                break;
            case bool flag:
                sql.Append(flag ? '1' : '0');
                break;
            case double dbl:
                sql.Append(dbl.ToString("R", CultureInfo.InvariantCulture));
                break;
            case float f:
                // The float's exact value: its shortest form ("3.4028235E+38") read as a DOUBLE can lie past the FLOAT range.
                sql.Append(((double)f).ToString("R", CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset dto:
                AppendDateTime(sql, dto.UtcDateTime);
                break;
            case DateOnly date:
                sql.Append('\'').Append(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\'');
                break;
            case TimeSpan time:
                AppendTime(sql, time);
                break;
            case Guid guid:
                sql.Append('\'').Append(guid.ToString("D")).Append('\'');
                break;
            case MySqlDecimal exact:
                sql.Append(exact.ToString());
                break;
            case byte[] bytes:
                sql.Append("X'").Append(Convert.ToHexString(bytes)).Append('\'');
                break;
            default:
                throw new ArgumentException($"A value of type {value.GetType()} has no SQL literal form in the copy; copy it through a supported column type.", nameof(value));
        }
    }

    /// <summary><c>'yyyy-MM-dd HH:mm:ss.ffffff'</c>, written digit by digit (a custom format string is parsed at every call).</summary>
    private static void AppendDateTime(StringBuilder sql, DateTime value)
    {
        Span<char> text = stackalloc char[28];
        text[0] = '\'';
        Digits(text.Slice(1, 4), value.Year);
        text[5] = '-';
        Digits(text.Slice(6, 2), value.Month);
        text[8] = '-';
        Digits(text.Slice(9, 2), value.Day);
        text[11] = ' ';
        Digits(text.Slice(12, 2), value.Hour);
        text[14] = ':';
        Digits(text.Slice(15, 2), value.Minute);
        text[17] = ':';
        Digits(text.Slice(18, 2), value.Second);
        text[20] = '.';
        Digits(text.Slice(21, 6), (int)(value.Ticks % TimeSpan.TicksPerSecond / 10));
        text[27] = '\'';
        sql.Append(text);
    }

    /// <summary>
    /// A <c>TIME</c> value as the server reads it: <c>'[-]H:MM:SS.ffffff'</c> with the hours counted in full (a TIME holds
    /// -838:59:59 to 838:59:59; a TimeSpan's own form, <c>d.hh:mm:ss</c>, is refused by the server past 24 hours), to the
    /// microsecond (ticks below it dropped, as the server keeps them).
    /// </summary>
    private static void AppendTime(StringBuilder sql, TimeSpan value)
    {
        var micros = Math.Abs(value.Ticks / 10);
        sql.Append(value.Ticks <= -10 ? "'-" : "'").Append(micros / 3_600_000_000);
        Span<char> text = stackalloc char[14];
        text[0] = ':';
        Digits(text.Slice(1, 2), (int)(micros / 60_000_000 % 60));
        text[3] = ':';
        Digits(text.Slice(4, 2), (int)(micros / 1_000_000 % 60));
        text[6] = '.';
        Digits(text.Slice(7, 6), (int)(micros % 1_000_000));
        text[13] = '\'';
        sql.Append(text);
    }

    private static void Digits(Span<char> target, int value)
    {
        for (var i = target.Length - 1; i >= 0; i--)
        {
            target[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }

    private static void AppendString(StringBuilder sql, string text)
    {
        var special = text.AsSpan().IndexOfAny(s_special);
        if (special < 0)
        {
            sql.Append('\'').Append(text).Append('\'');
            return;
        }

        foreach (var c in text)
        {
            if (c == '\\' || char.IsControl(c))
            {
                sql.Append("_utf8mb4 X'").Append(Convert.ToHexString(Encoding.UTF8.GetBytes(text))).Append('\'');
                return;
            }
        }

        sql.Append('\'').Append(text.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
    }
}
