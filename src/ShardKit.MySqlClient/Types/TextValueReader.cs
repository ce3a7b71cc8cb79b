using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Types;

/// <summary>
/// Converts text-protocol column values (ASCII digits, dates as 'YYYY-MM-DD hh:mm:ss.ffffff', BIT as big-endian
/// bytes) to CLR values, and maps column definitions to CLR types.
/// </summary>
internal static class TextValueReader
{
    public static Type GetClrType(ColumnDefinition column) => column.Type switch
    {
        ColumnType.Tiny when column.ColumnLength == 1 => typeof(bool),
        ColumnType.Tiny => column.IsUnsigned ? typeof(byte) : typeof(sbyte),
        ColumnType.Short => column.IsUnsigned ? typeof(ushort) : typeof(short),
        ColumnType.Int24 or ColumnType.Long => column.IsUnsigned ? typeof(uint) : typeof(int),
        ColumnType.LongLong => column.IsUnsigned ? typeof(ulong) : typeof(long),
        ColumnType.Bit when column.ColumnLength == 1 => typeof(bool),
        ColumnType.Bit => typeof(ulong),
        ColumnType.Year => typeof(int),
        ColumnType.Float => typeof(float),
        ColumnType.Double => typeof(double),
        ColumnType.Decimal or ColumnType.NewDecimal => typeof(decimal),
        ColumnType.Date or ColumnType.NewDate or ColumnType.DateTime or ColumnType.DateTime2
            or ColumnType.Timestamp or ColumnType.Timestamp2 => typeof(DateTime),
        ColumnType.Time or ColumnType.Time2 => typeof(TimeSpan),
        ColumnType.Null => typeof(object),
        ColumnType.Json or ColumnType.Enum or ColumnType.Set => typeof(string),
        ColumnType.Geometry => typeof(byte[]),
        _ => column.IsBinary ? typeof(byte[]) : typeof(string),
    };

    public static string GetDataTypeName(ColumnDefinition column) => column.Type switch
    {
        ColumnType.Tiny => column.ColumnLength == 1 ? "BOOL" : Unsigned(column, "TINYINT"),
        ColumnType.Short => Unsigned(column, "SMALLINT"),
        ColumnType.Int24 => Unsigned(column, "MEDIUMINT"),
        ColumnType.Long => Unsigned(column, "INT"),
        ColumnType.LongLong => Unsigned(column, "BIGINT"),
        ColumnType.Bit => "BIT",
        ColumnType.Year => "YEAR",
        ColumnType.Float => "FLOAT",
        ColumnType.Double => "DOUBLE",
        ColumnType.Decimal or ColumnType.NewDecimal => "DECIMAL",
        ColumnType.Date or ColumnType.NewDate => "DATE",
        ColumnType.DateTime or ColumnType.DateTime2 => "DATETIME",
        ColumnType.Timestamp or ColumnType.Timestamp2 => "TIMESTAMP",
        ColumnType.Time or ColumnType.Time2 => "TIME",
        ColumnType.Null => "NULL",
        ColumnType.Json => "JSON",
        ColumnType.Geometry => "GEOMETRY",
        _ when (column.Flags & ColumnFlags.Enum) != 0 => "ENUM",
        _ when (column.Flags & ColumnFlags.Set) != 0 => "SET",
        ColumnType.TinyBlob or ColumnType.MediumBlob or ColumnType.LongBlob or ColumnType.Blob => column.IsBinary ? "BLOB" : "TEXT",
        ColumnType.String => column.IsBinary ? "BINARY" : "CHAR",
        _ => column.IsBinary ? "VARBINARY" : "VARCHAR",
    };

    private static string Unsigned(ColumnDefinition column, string name) => column.IsUnsigned ? name + " UNSIGNED" : name;

    public static object GetValue(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        var type = GetClrType(column);
        if (type == typeof(bool))
        {
            return GetBoolean(column, value);
        }

        if (type == typeof(string))
        {
            return Encoding.UTF8.GetString(value);
        }

        if (type == typeof(byte[]))
        {
            return value.ToArray();
        }

        if (type == typeof(int))
        {
            return checked((int)ParseInt64(value));
        }

        if (type == typeof(long))
        {
            return ParseInt64(value);
        }

        if (type == typeof(ulong))
        {
            return column.Type == ColumnType.Bit ? ParseBit(value) : ParseUInt64(value);
        }

        if (type == typeof(uint))
        {
            return checked((uint)ParseUInt64(value));
        }

        if (type == typeof(short))
        {
            return checked((short)ParseInt64(value));
        }

        if (type == typeof(ushort))
        {
            return checked((ushort)ParseUInt64(value));
        }

        if (type == typeof(sbyte))
        {
            return checked((sbyte)ParseInt64(value));
        }

        if (type == typeof(byte))
        {
            return checked((byte)ParseUInt64(value));
        }

        if (type == typeof(decimal))
        {
            return ParseDecimal(value);
        }

        if (type == typeof(double))
        {
            return ParseDouble(value);
        }

        if (type == typeof(float))
        {
            return (float)ParseDouble(value);
        }

        if (type == typeof(DateTime))
        {
            return ParseDateTime(value);
        }

        if (type == typeof(TimeSpan))
        {
            return ParseTime(value);
        }

        return DBNull.Value;
    }

    public static bool GetBoolean(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        if (column.Type == ColumnType.Bit)
        {
            return ParseBit(value) != 0;
        }

        if (IsTextual(column) && !IsNumericText(value))
        {
            throw new InvalidCastException($"Column '{column.Name}' holds '{Encoding.UTF8.GetString(value)}', which is not a boolean.");
        }

        return ParseDouble(value) != 0;
    }

    public static long GetInt64(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        if (column.Type == ColumnType.Bit)
        {
            return checked((long)ParseBit(value));
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result))
        {
            return result;
        }

        if (column.Type is ColumnType.Decimal or ColumnType.NewDecimal or ColumnType.Float or ColumnType.Double)
        {
            var d = ParseDecimal(value);
            if (d != decimal.Truncate(d))
            {
                throw new InvalidCastException($"Column '{column.Name}' holds {d}, which is not a whole number.");
            }

            return checked((long)d);
        }

        throw Invalid(column, value, "a 64-bit integer");
    }

    public static ulong GetUInt64(ColumnDefinition column, ReadOnlySpan<byte> value) =>
        column.Type == ColumnType.Bit ? ParseBit(value)
        : ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) ? result
        : checked((ulong)GetInt64(column, value));

    public static decimal GetDecimal(ColumnDefinition column, ReadOnlySpan<byte> value) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) ? result : throw Invalid(column, value, "a decimal");

    public static double GetDouble(ColumnDefinition column, ReadOnlySpan<byte> value) =>
        column.Type == ColumnType.Bit ? ParseBit(value)
        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) ? result : throw Invalid(column, value, "a number");

    public static DateTime GetDateTime(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        try
        {
            return ParseDateTime(value);
        }
        catch (FormatException ex)
        {
            throw new InvalidCastException($"Column '{column.Name}' holds '{Encoding.UTF8.GetString(value)}', which is not a date and time.", ex);
        }
    }

    public static TimeSpan GetTimeSpan(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        try
        {
            return ParseTime(value);
        }
        catch (FormatException ex)
        {
            throw new InvalidCastException($"Column '{column.Name}' holds '{Encoding.UTF8.GetString(value)}', which is not a time.", ex);
        }
    }

    public static Guid GetGuid(ColumnDefinition column, ReadOnlySpan<byte> value)
    {
        if (value.Length == 16 && column.IsBinary)
        {
            return new Guid(value, bigEndian: true);
        }

        Span<char> chars = stackalloc char[Math.Min(value.Length, 64)];
        if (value.Length <= 64 && Encoding.ASCII.GetChars(value, chars) is var count && Guid.TryParse(chars[..count], out var guid))
        {
            return guid;
        }

        throw new InvalidCastException($"Column '{column.Name}' holds a value that is neither a 36-character GUID string nor 16 bytes.");
    }

    private static bool IsTextual(ColumnDefinition column) =>
        column.Type is ColumnType.String or ColumnType.VarString or ColumnType.VarChar or ColumnType.Blob or ColumnType.TinyBlob
            or ColumnType.MediumBlob or ColumnType.LongBlob or ColumnType.Json or ColumnType.Enum or ColumnType.Set;

    private static bool IsNumericText(ReadOnlySpan<byte> value) => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static InvalidCastException Invalid(ColumnDefinition column, ReadOnlySpan<byte> value, string what) =>
        new($"Column '{column.Name}' holds '{Encoding.UTF8.GetString(value[..Math.Min(value.Length, 64)])}', which is not {what}.");

    private static long ParseInt64(ReadOnlySpan<byte> value) =>
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) ? result : throw Bad(value, "integer");

    private static ulong ParseUInt64(ReadOnlySpan<byte> value) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result) ? result : throw Bad(value, "unsigned integer");

    private static decimal ParseDecimal(ReadOnlySpan<byte> value) =>
        decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) ? result : throw Bad(value, "decimal");

    private static double ParseDouble(ReadOnlySpan<byte> value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var result) ? result : throw Bad(value, "number");

    /// <summary>BIT values travel as big-endian bytes (up to 8).</summary>
    private static ulong ParseBit(ReadOnlySpan<byte> value)
    {
        if (value.Length > 8)
        {
            throw Bad(value, "BIT value");
        }

        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        value.CopyTo(padded[(8 - value.Length)..]);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    /// <summary>Parses 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss[.f{1,6}]'; zero dates are rejected.</summary>
    public static DateTime ParseDateTime(ReadOnlySpan<byte> value)
    {
        if (value.Length < 10 || value[4] != '-' || value[7] != '-')
        {
            throw new FormatException("Not a MySQL date.");
        }

        var year = Digits(value, 0, 4);
        var month = Digits(value, 5, 2);
        var day = Digits(value, 8, 2);
        if (year == 0 && month == 0 && day == 0)
        {
            throw new InvalidCastException("The value is the zero date '0000-00-00', which has no DateTime equivalent.");
        }

        if (value.Length == 10)
        {
            return new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Unspecified);
        }

        if (value.Length < 19 || value[10] != ' ' || value[13] != ':' || value[16] != ':')
        {
            throw new FormatException("Not a MySQL date and time.");
        }

        var result = new DateTime(year, month, day, Digits(value, 11, 2), Digits(value, 14, 2), Digits(value, 17, 2), DateTimeKind.Unspecified);
        return result.AddTicks(FractionTicks(value[19..]));
    }

    /// <summary>Parses '[-]h+:mm:ss[.f{1,6}]' (hours may exceed 24).</summary>
    public static TimeSpan ParseTime(ReadOnlySpan<byte> value)
    {
        var negative = value.Length > 0 && value[0] == '-';
        var rest = negative ? value[1..] : value;
        var firstColon = rest.IndexOf((byte)':');
        if (firstColon < 1 || rest.Length < firstColon + 6 || rest[firstColon + 3] != ':')
        {
            throw new FormatException("Not a MySQL time.");
        }

        var hours = Digits(rest, 0, firstColon);
        var minutes = Digits(rest, firstColon + 1, 2);
        var seconds = Digits(rest, firstColon + 4, 2);
        var ticks = (((hours * 60L) + minutes) * 60L + seconds) * TimeSpan.TicksPerSecond + FractionTicks(rest[(firstColon + 6)..]);
        return new TimeSpan(negative ? -ticks : ticks);
    }

    private static long FractionTicks(ReadOnlySpan<byte> fraction)
    {
        if (fraction.Length == 0)
        {
            return 0;
        }

        if (fraction[0] != '.' || fraction.Length > 7)
        {
            throw new FormatException("Not a MySQL fractional second.");
        }

        var digits = fraction[1..];
        long micro = Digits(digits, 0, digits.Length);
        for (var i = digits.Length; i < 6; i++)
        {
            micro *= 10;
        }

        return micro * 10;
    }

    private static int Digits(ReadOnlySpan<byte> value, int start, int count)
    {
        if (count > 9)
        {
            throw new FormatException("Too many digits.");
        }

        var result = 0;
        for (var i = start; i < start + count; i++)
        {
            var digit = value[i] - '0';
            if ((uint)digit > 9)
            {
                throw new FormatException("Not a digit.");
            }

            result = (result * 10) + digit;
        }

        return result;
    }

    private static MySqlException Bad(ReadOnlySpan<byte> value, string what) =>
        MySqlException.Protocol($"the server sent '{Encoding.UTF8.GetString(value[..Math.Min(value.Length, 40)])}' for a column whose type promises an {what}");
}
