using System.Globalization;
using System.Text;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Types;

namespace ShardKit.MySqlClient;

/// <summary>Column metadata and typed value access for the current row.</summary>
public sealed partial class MySqlDataReader
{
    /// <inheritdoc />
    public override string GetName(int ordinal) => Column(ordinal).Name;

    /// <inheritdoc />
    public override string GetDataTypeName(int ordinal) => TextValueReader.GetDataTypeName(Column(ordinal));

    /// <inheritdoc />
    public override Type GetFieldType(int ordinal) => TextValueReader.GetClrType(Column(ordinal));

    /// <inheritdoc />
    public override int GetOrdinal(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (var i = 0; i < _columns.Length; i++)
        {
            if (string.Equals(_columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        for (var i = 0; i < _columns.Length; i++)
        {
            if (string.Equals(_columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, $"The result has no column named '{name}'.");
    }

    /// <inheritdoc />
    public override bool IsDBNull(int ordinal)
    {
        CheckOrdinal(ordinal);
        return _offsets[ordinal] < 0;
    }

    /// <inheritdoc />
    public override object GetValue(int ordinal)
    {
        CheckOrdinal(ordinal);
        if (_offsets[ordinal] < 0)
        {
            return DBNull.Value;
        }

        return TextValueReader.GetValue(_columns[ordinal], GetSpan(ordinal));
    }

    /// <inheritdoc />
    public override int GetValues(object[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var count = Math.Min(values.Length, _columns.Length);
        for (var i = 0; i < count; i++)
        {
            values[i] = GetValue(i);
        }

        return count;
    }

    /// <inheritdoc />
    public override bool GetBoolean(int ordinal) => TextValueReader.GetBoolean(_columns[ordinal], GetSpan(ordinal));

    /// <inheritdoc />
    public override byte GetByte(int ordinal) => checked((byte)GetInt64Checked(ordinal));

    /// <summary>Gets the value as a signed byte.</summary>
    public sbyte GetSByte(int ordinal) => checked((sbyte)GetInt64Checked(ordinal));

    /// <inheritdoc />
    public override short GetInt16(int ordinal) => checked((short)GetInt64Checked(ordinal));

    /// <inheritdoc />
    public override int GetInt32(int ordinal) => checked((int)GetInt64Checked(ordinal));

    /// <inheritdoc />
    public override long GetInt64(int ordinal) => GetInt64Checked(ordinal);

    /// <summary>Gets the value as an unsigned 16-bit integer.</summary>
    public ushort GetUInt16(int ordinal) => checked((ushort)GetUInt64(ordinal));

    /// <summary>Gets the value as an unsigned 32-bit integer.</summary>
    public uint GetUInt32(int ordinal) => checked((uint)GetUInt64(ordinal));

    /// <summary>Gets the value as an unsigned 64-bit integer (BIGINT UNSIGNED up to <see cref="ulong.MaxValue"/>, or BIT).</summary>
    public ulong GetUInt64(int ordinal) => Convert(ordinal, static (c, v) => TextValueReader.GetUInt64(c, v));

    /// <inheritdoc />
    public override decimal GetDecimal(int ordinal) => TextValueReader.GetDecimal(_columns[ordinal], GetSpan(ordinal));

    /// <inheritdoc />
    public override double GetDouble(int ordinal) => TextValueReader.GetDouble(_columns[ordinal], GetSpan(ordinal));

    /// <inheritdoc />
    public override float GetFloat(int ordinal) => (float)GetDouble(ordinal);

    /// <inheritdoc />
    public override DateTime GetDateTime(int ordinal) => TextValueReader.GetDateTime(_columns[ordinal], GetSpan(ordinal));

    /// <summary>Gets a TIME value.</summary>
    public TimeSpan GetTimeSpan(int ordinal) => TextValueReader.GetTimeSpan(_columns[ordinal], GetSpan(ordinal));

    /// <summary>Gets a DATE or DATETIME value as a date.</summary>
    public DateOnly GetDateOnly(int ordinal) => DateOnly.FromDateTime(GetDateTime(ordinal));

    /// <summary>Gets a TIME value as a time of day.</summary>
    public TimeOnly GetTimeOnly(int ordinal) => TimeOnly.FromTimeSpan(GetTimeSpan(ordinal));

    /// <summary>Gets a DATETIME or TIMESTAMP value as a <see cref="DateTimeOffset"/>, taking the stored value as UTC.</summary>
    public DateTimeOffset GetDateTimeOffset(int ordinal) => new(DateTime.SpecifyKind(GetDateTime(ordinal), DateTimeKind.Utc));

    /// <inheritdoc />
    public override Guid GetGuid(int ordinal) => TextValueReader.GetGuid(_columns[ordinal], GetSpan(ordinal));

    /// <inheritdoc />
    public override string GetString(int ordinal) => Decode(GetSpan(ordinal));

    /// <inheritdoc />
    public override char GetChar(int ordinal)
    {
        var text = GetString(ordinal);
        return text.Length > 0 ? text[0] : throw new InvalidCastException($"Column '{_columns[ordinal].Name}' is an empty string, not a character.");
    }

    /// <inheritdoc />
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length)
    {
        var value = GetSpan(ordinal);
        if (buffer is null)
        {
            return value.Length;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(dataOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(bufferOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (dataOffset >= value.Length)
        {
            return 0;
        }

        var count = (int)Math.Min(Math.Min(length, value.Length - dataOffset), buffer.Length - bufferOffset);
        value.Slice((int)dataOffset, count).CopyTo(buffer.AsSpan(bufferOffset));
        return count;
    }

    /// <inheritdoc />
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length)
    {
        var value = GetString(ordinal);
        if (buffer is null)
        {
            return value.Length;
        }

        ArgumentOutOfRangeException.ThrowIfNegative(dataOffset);
        if (dataOffset >= value.Length)
        {
            return 0;
        }

        var count = (int)Math.Min(Math.Min(length, value.Length - dataOffset), buffer.Length - bufferOffset);
        value.CopyTo((int)dataOffset, buffer, bufferOffset, count);
        return count;
    }

    /// <inheritdoc />
    public override Stream GetStream(int ordinal) => new MemoryStream(GetSpan(ordinal).ToArray(), writable: false);

    /// <inheritdoc />
    public override T GetFieldValue<T>(int ordinal)
    {
        if (IsDBNull(ordinal))
        {
            if (default(T) is null && (typeof(T) == typeof(object) || Nullable.GetUnderlyingType(typeof(T)) is not null || !typeof(T).IsValueType))
            {
                return typeof(T) == typeof(object) || typeof(T) == typeof(DBNull) ? (T)(object)DBNull.Value : default!;
            }

            throw new InvalidCastException($"Column '{_columns[ordinal].Name}' is NULL and cannot be read as {typeof(T).Name}.");
        }

        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        object value = type switch
        {
            _ when type == typeof(string) => GetString(ordinal),
            _ when type == typeof(int) => GetInt32(ordinal),
            _ when type == typeof(long) => GetInt64(ordinal),
            _ when type == typeof(short) => GetInt16(ordinal),
            _ when type == typeof(byte) => GetByte(ordinal),
            _ when type == typeof(sbyte) => GetSByte(ordinal),
            _ when type == typeof(ushort) => GetUInt16(ordinal),
            _ when type == typeof(uint) => GetUInt32(ordinal),
            _ when type == typeof(ulong) => GetUInt64(ordinal),
            _ when type == typeof(bool) => GetBoolean(ordinal),
            _ when type == typeof(decimal) => GetDecimal(ordinal),
            _ when type == typeof(double) => GetDouble(ordinal),
            _ when type == typeof(float) => GetFloat(ordinal),
            _ when type == typeof(DateTime) => GetDateTime(ordinal),
            _ when type == typeof(DateTimeOffset) => GetDateTimeOffset(ordinal),
            _ when type == typeof(DateOnly) => GetDateOnly(ordinal),
            _ when type == typeof(TimeOnly) => GetTimeOnly(ordinal),
            _ when type == typeof(TimeSpan) => GetTimeSpan(ordinal),
            _ when type == typeof(Guid) => GetGuid(ordinal),
            _ when type == typeof(byte[]) => GetSpan(ordinal).ToArray(),
            _ when type == typeof(char) => GetChar(ordinal),
            _ when type == typeof(Stream) => GetStream(ordinal),
            _ when type.IsEnum => ToEnum(type, ordinal),
            _ => GetValue(ordinal),
        };

        return value is T typed ? typed : throw new InvalidCastException($"Column '{_columns[ordinal].Name}' ({GetDataTypeName(ordinal)}) cannot be read as {typeof(T).Name}.");
    }

    private object ToEnum(Type enumType, int ordinal)
    {
        var column = _columns[ordinal];
        var text = GetString(ordinal);
        if (column.Type is ColumnType.String or ColumnType.VarString or ColumnType.VarChar or ColumnType.Enum)
        {
            if (Enum.TryParse(enumType, text, ignoreCase: true, out var parsed))
            {
                return parsed!;
            }

            throw new InvalidCastException($"Column '{column.Name}' holds '{text}', which is not a member of {enumType.Name}.");
        }

        return Enum.ToObject(enumType, GetInt64Checked(ordinal));
    }

    private long GetInt64Checked(int ordinal) => Convert(ordinal, static (c, v) => TextValueReader.GetInt64(c, v));

    private T Convert<T>(int ordinal, ConvertSpan<T> convert)
    {
        var span = GetSpan(ordinal);
        try
        {
            return convert(_columns[ordinal], span);
        }
        catch (OverflowException ex)
        {
            throw new InvalidCastException(string.Create(CultureInfo.InvariantCulture, $"Column '{_columns[ordinal].Name}' holds {Encoding.UTF8.GetString(span)}, which is out of range for the requested type."), ex);
        }
    }

    private delegate T ConvertSpan<T>(ColumnDefinition column, ReadOnlySpan<byte> value);
}
