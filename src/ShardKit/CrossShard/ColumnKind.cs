namespace ShardKit.CrossShard;

/// <summary>
/// How a column is read, compared and bound in cross-shard queries, derived from the server's type of the column
/// (<see cref="ColumnKinds.Of"/>).
/// </summary>
internal enum ColumnKind
{
    /// <summary>Integer types (BIGINT, INT, SMALLINT, TINYINT, MEDIUMINT, YEAR, BIT), read as <see cref="long"/>.</summary>
    Int64,

    /// <summary>DECIMAL (and BIGINT UNSIGNED, which may not fit a <see cref="long"/>), read as <see cref="decimal"/>.</summary>
    Decimal,

    /// <summary>DOUBLE and FLOAT, read as <see cref="double"/>.</summary>
    Double,

    /// <summary>DATETIME, TIMESTAMP and DATE, read as <see cref="DateTime"/>.</summary>
    DateTime,

    /// <summary>TIME, read as <see cref="TimeSpan"/>.</summary>
    Time,

    /// <summary>
    /// CHAR, VARCHAR, TEXT, ENUM and SET: sorted, grouped and compared by MIN/MAX through their UTF-8 bytes
    /// (<c>CAST(col AS BINARY)</c>), not by the column's collation (an ENUM by its text, not its index).
    /// </summary>
    String,

    /// <summary>JSON: can be selected and counted, not sorted, grouped or compared.</summary>
    Json,

    /// <summary>BINARY, VARBINARY and BLOB: can be selected and counted, not sorted, grouped or compared.</summary>
    Binary,

    /// <summary>Any other type (spatial types...): can be selected and counted only.</summary>
    Other,
}
