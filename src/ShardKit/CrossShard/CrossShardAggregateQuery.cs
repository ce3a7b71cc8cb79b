namespace ShardKit.CrossShard;

/// <summary>
/// Aggregates (<c>COUNT</c>, <c>SUM</c>, <c>MIN</c>, <c>MAX</c>, <c>AVG</c>) over one declared table (<see cref="Table"/>, the
/// root table by default) of every shard of a
/// dimension (or a chosen subset), optionally grouped. Each shard aggregates its own rows; the partial results are merged
/// (counts and sums added, minima and maxima compared, averages recomputed from sums and counts). Run it with
/// <see cref="CrossShardQueryExecutor.AggregateAsync"/>.
/// </summary>
public sealed record CrossShardAggregateQuery
{
    /// <summary>Which copy of the orders is read: the user shards or the merchant shards.</summary>
    public required ShardDimension Dimension { get; init; }

    /// <summary>The table read, as in <see cref="CrossShardQuery.Table"/>: a declared table, or <see langword="null"/> for the root table.</summary>
    public string? Table { get; init; }

    /// <summary>The logical shards to read (each once, in range), or <see langword="null"/> for every shard of the dimension.</summary>
    public IReadOnlyList<int>? Shards { get; init; }

    /// <summary>A SQL predicate over the table's columns, as in <see cref="CrossShardQuery.Filter"/>.</summary>
    public string? Filter { get; init; }

    /// <summary>The filter's named parameters, as Dapper takes them.</summary>
    public object? Parameters { get; init; }

    /// <summary>
    /// The GROUP BY columns (number, date, time or string columns; not JSON or BLOB), or empty for one row over everything. Strings group by their
    /// exact bytes (binary), not by the column's collation: <c>paid</c> and <c>Paid</c> are two groups.
    /// </summary>
    public IReadOnlyList<string> GroupBy { get; init; } = [];

    /// <summary>The aggregates, at least one.</summary>
    public required IReadOnlyList<CrossShardAggregate> Aggregates { get; init; }

    /// <summary>Which server of each cluster serves the read. Default <see cref="ReadPreference.PreferReplica"/>.</summary>
    public ReadPreference ReadPreference { get; init; } = ReadPreference.PreferReplica;

    /// <summary>How long the query may take; <see langword="null"/> for <see cref="CrossShardOptions.DefaultTimeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What happens when a cluster does not answer in time. Default <see cref="PartialResultPolicy.Fail"/>.</summary>
    public PartialResultPolicy PartialResults { get; init; } = PartialResultPolicy.Fail;
}
