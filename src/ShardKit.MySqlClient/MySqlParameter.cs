using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ShardKit.MySqlClient;

/// <summary>
/// A command parameter. Values are bound on the client as escaped SQL literals (see <see cref="MySqlCommand"/>);
/// only input parameters exist in the text protocol.
/// </summary>
public sealed class MySqlParameter : DbParameter
{
    private string _parameterName = "";
    private int _prefixLength;
    private DbType? _dbType;
    private ParameterDirection _direction = ParameterDirection.Input;

    /// <summary>Creates a parameter with no name and a null value.</summary>
    public MySqlParameter()
    {
    }

    /// <summary>Creates a parameter with a name (with or without the <c>@</c> or <c>?</c> prefix) and a value.</summary>
    public MySqlParameter(string? parameterName, object? value)
    {
        ParameterName = parameterName;
        Value = value;
    }

    /// <summary>The database type; inferred from <see cref="Value"/> unless set. Set <see cref="DbType.Binary"/> to send a <see cref="Guid"/> as 16 bytes.</summary>
    public override DbType DbType
    {
        get => _dbType ?? InferDbType(Value);
        set => _dbType = value;
    }

    /// <summary>Only <see cref="ParameterDirection.Input"/> is supported.</summary>
    /// <exception cref="ArgumentException">Any other direction.</exception>
    public override ParameterDirection Direction
    {
        get => _direction;
        set => _direction = value == ParameterDirection.Input
            ? value
            : throw new ArgumentException($"Parameter direction {value} is not supported; the MySQL text protocol has input parameters only.", nameof(value));
    }

    /// <inheritdoc />
    public override bool IsNullable { get; set; }

    /// <summary>The parameter name as given; SQL refers to it as <c>@name</c> or <c>?name</c>.</summary>
    [AllowNull]
    public override string ParameterName
    {
        get => _parameterName;
        set
        {
            _parameterName = value ?? "";
            _prefixLength = HasPrefix(_parameterName) ? 1 : 0;
        }
    }

    /// <inheritdoc />
    [AllowNull]
    public override string SourceColumn { get; set; } = "";

    /// <inheritdoc />
    public override object? Value { get; set; }

    /// <inheritdoc />
    public override bool SourceColumnNullMapping { get; set; }

    /// <summary>Not used by the text protocol; kept for ADO.NET compatibility.</summary>
    public override int Size { get; set; }

    /// <inheritdoc />
    public override void ResetDbType() => _dbType = null;

    /// <summary>The name without its <c>@</c> or <c>?</c> prefix (a view of <see cref="ParameterName"/>: no substring per parameter).</summary>
    internal ReadOnlySpan<char> NormalizedName => _parameterName.AsSpan(_prefixLength);

    internal DbType? ExplicitDbType => _dbType;

    internal static ReadOnlySpan<char> Normalize(string name) => HasPrefix(name) ? name.AsSpan(1) : name;

    private static bool HasPrefix(string name) => name.Length > 0 && (name[0] == '@' || name[0] == '?');

    private static DbType InferDbType(object? value) => value switch
    {
        null or DBNull => DbType.Object,
        string or char => DbType.String,
        bool => DbType.Boolean,
        sbyte => DbType.SByte,
        byte => DbType.Byte,
        short => DbType.Int16,
        ushort => DbType.UInt16,
        int => DbType.Int32,
        uint => DbType.UInt32,
        long => DbType.Int64,
        ulong => DbType.UInt64,
        float => DbType.Single,
        double => DbType.Double,
        decimal => DbType.Decimal,
        DateTime => DbType.DateTime,
        DateTimeOffset => DbType.DateTimeOffset,
        DateOnly => DbType.Date,
        TimeOnly or TimeSpan => DbType.Time,
        Guid => DbType.Guid,
        byte[] or ReadOnlyMemory<byte> or Memory<byte> or ArraySegment<byte> => DbType.Binary,
        _ => DbType.Object,
    };
}
