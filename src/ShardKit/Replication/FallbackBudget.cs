namespace ShardKit.Replication;

/// <summary>
/// Caps a cluster's fallbacks from replicas to the primary with a token bucket: it holds up to <c>burst</c> tokens and
/// starts full, every replica read adds <c>share</c> of a token, every fallback takes one. Over time at most
/// <c>share</c> of the replica reads (plus the burst) reach the primary this way.
/// </summary>
internal sealed class FallbackBudget
{
    private const long Scale = 1_000_000;
    private readonly long _capacity;
    private readonly long _refill;
    private long _tokens;

    public FallbackBudget(double share, int burst)
    {
        _capacity = burst * Scale;
        _refill = (long)Math.Round(share * Scale);
        _tokens = _capacity;
        Unlimited = share >= 1;
    }

    public bool Unlimited { get; }

    /// <summary>Counts a read that replicas were asked to serve.</summary>
    public void OnReplicaRead()
    {
        if (Unlimited || Volatile.Read(ref _tokens) >= _capacity)
        {
            return;
        }

        var current = Volatile.Read(ref _tokens);
        while (true)
        {
            var next = Math.Min(_capacity, current + _refill);
            var seen = Interlocked.CompareExchange(ref _tokens, next, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>Takes a token for one fallback; false when the cap is reached.</summary>
    public bool TryTake()
    {
        if (Unlimited)
        {
            return true;
        }

        var current = Volatile.Read(ref _tokens);
        while (current >= Scale)
        {
            var seen = Interlocked.CompareExchange(ref _tokens, current - Scale, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }
}
