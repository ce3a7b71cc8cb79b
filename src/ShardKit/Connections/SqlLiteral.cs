using System.Globalization;
using System.Text;

namespace ShardKit.Connections;

/// <summary>
/// Values written into SQL text as literals, as <c>mariadb-dump</c> writes them: a batch of thousands of rows then costs the
/// client one string, not a parameter object per value that the driver substitutes again. Strings go in quotes with quotes
/// doubled; a string with a backslash or a control character goes as <c>_utf8mb4 X'…'</c>, which means the same under every
/// <c>sql_mode</c> (<c>NO_BACKSLASH_ESCAPES</c> or not).
/// </summary>
internal static class SqlLiteral
{
    /// <summary>Appends <paramref name="value"/> as a literal.</summary>
    /// <exception cref="ArgumentException">A value of a type that has no literal form here.</exception>
    public static void Append(StringBuilder sql, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                sql.Append("NULL");
                break;
            case long l:
                sql.Append(l);
                break;
            case int i:
                sql.Append(i);
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
            case decimal d:
                sql.Append(CultureInfo.InvariantCulture, $"{d}");
                break;
            case double dbl:
                sql.Append(dbl.ToString("R", CultureInfo.InvariantCulture));
                break;
            case float f:
                sql.Append(f.ToString("R", CultureInfo.InvariantCulture));
                break;
            case DateTime dt:
                sql.Append(CultureInfo.InvariantCulture, $"'{dt:yyyy-MM-dd HH:mm:ss.ffffff}'");
                break;
            case DateTimeOffset dto:
                sql.Append(CultureInfo.InvariantCulture, $"'{dto.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}'");
                break;
            case DateOnly date:
                sql.Append('\'').Append(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append('\'');
                break;
            case TimeSpan time:
                sql.Append('\'').Append(time.ToString("c", CultureInfo.InvariantCulture)).Append('\'');
                break;
            case Guid guid:
                sql.Append('\'').Append(guid.ToString("D")).Append('\'');
                break;
            case string text:
                AppendString(sql, text);
                break;
            case byte[] bytes:
                sql.Append("X'").Append(Convert.ToHexString(bytes)).Append('\'');
                break;
            default:
                throw new ArgumentException($"A value of type {value.GetType()} has no SQL literal form in the copy; copy it through a supported column type.", nameof(value));
        }
    }

    private static void AppendString(StringBuilder sql, string text)
    {
        foreach (var c in text)
        {
            if (c == '\\' || char.IsControl(c))
            {
                sql.Append("_utf8mb4 X'").Append(Convert.ToHexString(Encoding.UTF8.GetBytes(text))).Append('\'');
                return;
            }
        }

        sql.Append('\'');
        foreach (var c in text)
        {
            if (c == '\'')
            {
                sql.Append("''");
            }
            else
            {
                sql.Append(c);
            }
        }

        sql.Append('\'');
    }
}
