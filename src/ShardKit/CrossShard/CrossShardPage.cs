namespace ShardKit.CrossShard;

/// <summary>One page of a <see cref="CrossShardQuery"/>, merged from every shard in the query's order.</summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class CrossShardPage<T>
{
    internal CrossShardPage(IReadOnlyList<T> rows, string? continuationToken, IReadOnlyList<ShardRoute> missingShards)
    {
        Rows = rows;
        ContinuationToken = continuationToken;
        MissingShards = missingShards;
    }

    /// <summary>The rows of the page, at most <see cref="CrossShardQuery.PageSize"/>.</summary>
    public IReadOnlyList<T> Rows { get; }

    /// <summary>
    /// An opaque, signed token for the next page (pass it with the same query), or <see langword="null"/> when no row
    /// follows. It holds the sort key of the page's last row, so the next page starts right after it: no row is read
    /// twice, and rows inserted meanwhile appear only if they sort after it.
    /// </summary>
    public string? ContinuationToken { get; }

    /// <summary>
    /// The logical shards that did not answer (empty unless the query used <see cref="PartialResultPolicy.ReturnPartial"/>).
    /// Their rows are absent from this page, and the next page does not come back for rows that sort before the token.
    /// </summary>
    public IReadOnlyList<ShardRoute> MissingShards { get; }

    /// <summary>Whether some shards did not answer (<see cref="MissingShards"/> is not empty).</summary>
    public bool IsPartial => MissingShards.Count > 0;
}
