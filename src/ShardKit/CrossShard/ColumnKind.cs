namespace ShardKit.CrossShard;

/// <summary>How a column of the <c>orders</c> table is read, compared and bound in cross-shard queries.</summary>
internal enum ColumnKind
{
    /// <summary>BIGINT, read as <see cref="long"/>.</summary>
    Int64,

    /// <summary>DECIMAL, read as <see cref="decimal"/>.</summary>
    Decimal,

    /// <summary>DATETIME(6), read as <see cref="DateTime"/>.</summary>
    DateTime,

    /// <summary>VARCHAR/CHAR: sorted and grouped by its UTF-8 bytes (<c>CAST(col AS BINARY)</c>), not by the column's collation.</summary>
    String,

    /// <summary>JSON: can be selected and counted, not sorted, grouped or summed.</summary>
    Json,
}
