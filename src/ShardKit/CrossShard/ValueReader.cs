using System.Data.Common;
using System.Globalization;

namespace ShardKit.CrossShard;

/// <summary>Reads a key or aggregate value as the type its <see cref="ColumnKind"/> calls for, whatever the provider returns.</summary>
internal static class ValueReader
{
    /// <summary>Null for SQL NULL; strings (read through <c>CAST(... AS BINARY)</c>) as their UTF-8 bytes.</summary>
    public static object? Read(DbDataReader reader, int ordinal, ColumnKind kind)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var value = reader.GetValue(ordinal);
        return kind switch
        {
            ColumnKind.Int64 => Convert.ToInt64(value, CultureInfo.InvariantCulture),
            ColumnKind.Decimal => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            ColumnKind.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
            ColumnKind.DateTime => value is DateOnly date ? date.ToDateTime(TimeOnly.MinValue) : (DateTime)value,
            ColumnKind.Time => value is TimeOnly time ? time.ToTimeSpan() : (TimeSpan)value,
            ColumnKind.String => value as byte[] ?? System.Text.Encoding.UTF8.GetBytes(Convert.ToString(value, CultureInfo.InvariantCulture)!),
            _ => value,
        };
    }
}
