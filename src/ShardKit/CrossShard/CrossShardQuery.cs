namespace ShardKit.CrossShard;

/// <summary>
/// A page of rows from one declared table (<see cref="Table"/>, the root table by default: <c>orders</c> in the built-in
/// schema) of every shard of a dimension (or a chosen subset): an optional filter, an ORDER BY that the table's key
/// (the order-ID column of the root table, the primary key of a child table) completes into a total order, and a page size. Read it with
/// <see cref="CrossShardQueryExecutor.QueryPageAsync{T}"/>; the next page comes from the continuation token
/// (keyset pagination), never from an offset.
/// </summary>
public sealed record CrossShardQuery
{
    /// <summary>Which copy of the orders is read: the user shards or the merchant shards.</summary>
    public required ShardDimension Dimension { get; init; }

    /// <summary>
    /// The table read: a table of the map's table model (<see cref="ShardMap.Tables"/>, case-insensitive) that the
    /// dimension's shards hold, or <see langword="null"/> for the root table. Its columns and their types are read from
    /// the shards' <c>information_schema</c> (once per map; the built-in <c>orders</c> table's are known).
    /// </summary>
    public string? Table { get; init; }

    /// <summary>The logical shards to read (each once, in range), or <see langword="null"/> for every shard of the dimension.</summary>
    public IReadOnlyList<int>? Shards { get; init; }

    /// <summary>
    /// A SQL predicate over the table's columns, e.g. <c>status = @status AND created_at &lt; @before</c>, or
    /// <see langword="null"/> for every row. It is inserted as <c>WHERE (filter)</c> into each shard's statement: it is
    /// trusted SQL text like a Dapper query's, and values belong in <see cref="Parameters"/>. Parameter names starting
    /// with <c>sk_</c> are reserved.
    /// </summary>
    public string? Filter { get; init; }

    /// <summary>The filter's named parameters, as Dapper takes them (an anonymous object, a dictionary or <c>DynamicParameters</c>).</summary>
    public object? Parameters { get; init; }

    /// <summary>
    /// The columns each row carries, mapped onto the row type by Dapper's rules (names as in the table, e.g.
    /// <c>total_amount</c>); <see langword="null"/> for every column of the table.
    /// </summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>
    /// The sort: columns of a number, date, time or string type (strings by their UTF-8 bytes; JSON and BLOB columns have no
    /// order). The table's key (<c>order_id</c> in the built-in schema) is appended, in the direction of the last term
    /// (ascending when empty), unless already present.
    /// </summary>
    public IReadOnlyList<CrossShardSort> OrderBy { get; init; } = [];

    /// <summary>Rows per page, 1 to <see cref="CrossShardOptions.MaxPageSize"/>. Default 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>
    /// Rows to skip before the page, at most <see cref="CrossShardOptions.MaxOffset"/> (0 by default: offsets are refused,
    /// because every shard would read offset + page size rows; follow <see cref="CrossShardPage{T}.ContinuationToken"/> instead).
    /// Only for a first page: an offset with a continuation token is refused.
    /// </summary>
    public int Offset { get; init; }

    /// <summary>Which server of each cluster serves the read. Default <see cref="ReadPreference.PreferReplica"/>.</summary>
    public ReadPreference ReadPreference { get; init; } = ReadPreference.PreferReplica;

    /// <summary>How long the whole page may take; <see langword="null"/> for <see cref="CrossShardOptions.DefaultTimeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What happens when a cluster does not answer in time. Default <see cref="PartialResultPolicy.Fail"/>.</summary>
    public PartialResultPolicy PartialResults { get; init; } = PartialResultPolicy.Fail;
}
