using ShardKit.Tables;

namespace ShardKit.CrossShard;

/// <summary>The one mapping from a column's server type to its <see cref="ColumnKind"/>, and what each kind allows.</summary>
internal static class ColumnKinds
{
    /// <summary>The kind of a column as the server describes it.</summary>
    public static ColumnKind Of(ColumnShape column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.DataType.ToLowerInvariant() switch
        {
            "bigint" when column.ColumnType.Contains("unsigned", StringComparison.OrdinalIgnoreCase) => ColumnKind.Decimal,
            "tinyint" or "smallint" or "mediumint" or "int" or "integer" or "bigint" or "year" or "bit" => ColumnKind.Int64,
            "decimal" or "numeric" or "dec" or "fixed" => ColumnKind.Decimal,
            "double" or "float" or "real" or "double precision" => ColumnKind.Double,
            "datetime" or "timestamp" or "date" => ColumnKind.DateTime,
            "time" => ColumnKind.Time,
            "char" or "varchar" or "tinytext" or "text" or "mediumtext" or "longtext" or "enum" or "set" => ColumnKind.String,
            "json" => ColumnKind.Json,
            "binary" or "varbinary" or "tinyblob" or "blob" or "mediumblob" or "longblob" => ColumnKind.Binary,
            _ => ColumnKind.Other,
        };
    }

    /// <summary>Whether rows can be sorted and grouped by the kind, and MIN/MAX compare it.</summary>
    public static bool IsOrdered(ColumnKind kind) =>
        kind is ColumnKind.Int64 or ColumnKind.Decimal or ColumnKind.Double or ColumnKind.DateTime or ColumnKind.Time or ColumnKind.String;

    /// <summary>Whether SUM and AVG apply.</summary>
    public static bool IsNumeric(ColumnKind kind) => kind is ColumnKind.Int64 or ColumnKind.Decimal or ColumnKind.Double;

    /// <summary>The kind's name in messages: <c>JSON</c>, <c>BLOB/BINARY</c>...</summary>
    public static string Describe(ColumnKind kind) => kind switch
    {
        ColumnKind.Json => "a JSON column",
        ColumnKind.Binary => "a BLOB/BINARY column",
        ColumnKind.Other => "a column of this type",
        _ => "a " + kind.ToString().ToLowerInvariant() + " column",
    };

    /// <summary>The SQL expression a column is sorted, grouped and compared by: strings by their bytes, the rest as they are.</summary>
    public static string KeyExpression(string column, ColumnKind kind) =>
        kind == ColumnKind.String ? $"CAST(`{column}` AS BINARY)" : $"`{column}`";
}
