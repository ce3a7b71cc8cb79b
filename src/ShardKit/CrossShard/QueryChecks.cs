namespace ShardKit.CrossShard;

/// <summary>Checks shared by row and aggregate queries.</summary>
internal static class QueryChecks
{
    /// <exception cref="ArgumentException">The dimension, filter, timeout or policy is not allowed.</exception>
    public static void Common(ShardDimension dimension, string? filter, TimeSpan? timeout, PartialResultPolicy policy, string paramName)
    {
        Dimension(dimension, paramName);

        if (filter is not null && string.IsNullOrWhiteSpace(filter))
        {
            throw new ArgumentException("Filter is blank; pass null to read every row.", paramName);
        }

        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Timeout {t} must be more than zero (null for CrossShardOptions.DefaultTimeout).", paramName);
        }

        if (policy is not (PartialResultPolicy.Fail or PartialResultPolicy.ReturnPartial))
        {
            throw new ArgumentException($"PartialResults {policy} is not defined: it must be Fail or ReturnPartial.", paramName);
        }
    }

    /// <exception cref="ArgumentException">The dimension is not defined.</exception>
    public static void Dimension(ShardDimension dimension, string paramName)
    {
        if (dimension is not (ShardDimension.User or ShardDimension.Merchant))
        {
            throw new ArgumentException($"Dimension {dimension} is not defined: it must be User or Merchant.", paramName);
        }
    }
}
