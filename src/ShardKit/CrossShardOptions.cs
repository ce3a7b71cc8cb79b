namespace ShardKit;

/// <summary>Limits and keys of a <see cref="CrossShardQueryExecutor"/>.</summary>
public sealed class CrossShardOptions
{
    /// <summary>How many cross-shard statements may run on one cluster at once (the rest wait, within their timeout). Default 4.</summary>
    public int MaxConcurrentQueriesPerCluster { get; set; } = 4;

    /// <summary>The timeout of a query that sets none (more than zero). Default 5 seconds: fail fast rather than stall callers.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest <see cref="CrossShardQuery.PageSize"/>. Default 1000.</summary>
    public int MaxPageSize { get; set; } = 1000;

    /// <summary>
    /// The largest <see cref="CrossShardQuery.Offset"/>. Default 0: offsets are refused, because each shard would read
    /// offset + page size rows; page with continuation tokens instead.
    /// </summary>
    public int MaxOffset { get; set; }

    /// <summary>
    /// The HMAC-SHA256 key continuation tokens are signed with, at least 32 bytes. Give every instance of a service the same
    /// key so a token from one is accepted by another; <see langword="null"/> for a random key of this executor (tokens
    /// then only work with the executor that issued them).
    /// </summary>
    public byte[]? TokenSigningKey { get; set; }
}
