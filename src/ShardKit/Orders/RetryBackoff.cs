namespace ShardKit.Orders;

/// <summary>Exponential backoff of the relay: base × 2^(attempt − 1), capped.</summary>
internal static class RetryBackoff
{
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
    {
        if (attempt <= 1)
        {
            return baseDelay < maxDelay ? baseDelay : maxDelay;
        }

        var exponent = Math.Min(attempt - 1, 30);
        var ticks = baseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= maxDelay.Ticks ? maxDelay : TimeSpan.FromTicks((long)ticks);
    }
}
