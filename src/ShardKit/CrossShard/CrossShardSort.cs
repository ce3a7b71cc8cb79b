namespace ShardKit.CrossShard;

/// <summary>One ORDER BY term of a <see cref="CrossShardQuery"/>: a column of the query's table and a direction.</summary>
/// <param name="Column">
/// The column, e.g. <c>created_at</c>: a number, date, time or string column (not JSON or BLOB). Strings (<c>status</c>,
/// <c>currency</c>, ENUMs) sort by their UTF-8 bytes (binary, case-sensitive), not by the column's collation, so every
/// shard orders them the same way; NULL sorts first ascending, last descending, as the server sorts it.
/// </param>
/// <param name="Descending">Whether the column sorts from high to low.</param>
public sealed record CrossShardSort(string Column, bool Descending = false)
{
    /// <summary>An ascending sort on <paramref name="column"/>.</summary>
    /// <param name="column">The column.</param>
    public static CrossShardSort Ascending(string column) => new(column);

    /// <summary>A descending sort on <paramref name="column"/>.</summary>
    /// <param name="column">The column.</param>
    public static CrossShardSort DescendingBy(string column) => new(column, Descending: true);
}
