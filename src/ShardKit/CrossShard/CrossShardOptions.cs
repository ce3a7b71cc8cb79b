using System.Globalization;

namespace ShardKit.CrossShard;

/// <summary>Limits and keys of a <see cref="CrossShardQueryExecutor"/>.</summary>
public sealed class CrossShardOptions : IValidatedOptions
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
    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(CrossShardOptions);
        if (MaxConcurrentQueriesPerCluster < 1)
        {
            yield return Invariant($"{Name}.{nameof(MaxConcurrentQueriesPerCluster)} is {MaxConcurrentQueriesPerCluster}; it must be at least 1.");
        }

        if (DefaultTimeout <= TimeSpan.Zero)
        {
            yield return Invariant($"{Name}.{nameof(DefaultTimeout)} is {DefaultTimeout}; it must be more than zero.");
        }

        if (MaxPageSize < 1)
        {
            yield return Invariant($"{Name}.{nameof(MaxPageSize)} is {MaxPageSize}; it must be at least 1.");
        }

        if (MaxOffset < 0)
        {
            yield return Invariant($"{Name}.{nameof(MaxOffset)} is {MaxOffset}; it must not be negative.");
        }

        if (TokenSigningKey is { Length: < 32 } key)
        {
            yield return Invariant($"{Name}.{nameof(TokenSigningKey)} is {key.Length} bytes; it must be at least 32.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
