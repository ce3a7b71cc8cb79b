namespace ShardKit.CrossShard;

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

    /// <summary>Checks every value; the executor does at construction and <c>AddCrossShardQueries</c> at start-up.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    internal void Validate()
    {
        if (MaxConcurrentQueriesPerCluster < 1)
        {
            throw new ArgumentException($"MaxConcurrentQueriesPerCluster must be at least 1 (was {MaxConcurrentQueriesPerCluster}).", "options");
        }

        if (DefaultTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"DefaultTimeout must be more than zero (was {DefaultTimeout}).", "options");
        }

        if (MaxPageSize < 1)
        {
            throw new ArgumentException($"MaxPageSize must be at least 1 (was {MaxPageSize}).", "options");
        }

        if (MaxOffset < 0)
        {
            throw new ArgumentException($"MaxOffset must not be negative (was {MaxOffset}).", "options");
        }

        if (TokenSigningKey is { Length: < 32 } key)
        {
            throw new ArgumentException($"TokenSigningKey must be at least 32 bytes (was {key.Length}).", "options");
        }
    }
}
