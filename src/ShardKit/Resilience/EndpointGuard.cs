namespace ShardKit.Resilience;

/// <summary>The circuit breaker and concurrency gate of one endpoint, built from one set of <see cref="EndpointResilienceOptions"/>.</summary>
internal sealed class EndpointGuard
{
    public EndpointGuard(EndpointResilienceOptions options, TimeProvider time)
    {
        ConnectTimeout = options.ConnectTimeout;
        BreakAfterFailures = options.BreakAfterFailures;
        BreakDuration = options.BreakDuration;
        Breaker = new CircuitBreaker(options.BreakAfterFailures, options.BreakDuration, time);
        Gate = new ConcurrencyGate(options.MaxConcurrency, options.QueueLimit, options.NonEssentialShare);
        NonEssentialShare = options.NonEssentialShare;
    }

    public TimeSpan ConnectTimeout { get; }

    public int BreakAfterFailures { get; }

    public TimeSpan BreakDuration { get; }

    public double NonEssentialShare { get; }

    public CircuitBreaker Breaker { get; }

    public ConcurrencyGate Gate { get; }

    /// <summary>Whether <paramref name="options"/> would build this same guard (then a reload keeps it, with its state).</summary>
    public bool Matches(EndpointResilienceOptions options) =>
        options.ConnectTimeout == ConnectTimeout &&
        options.BreakAfterFailures == BreakAfterFailures &&
        options.BreakDuration == BreakDuration &&
        options.MaxConcurrency == Gate.Limit &&
        options.QueueLimit == Gate.QueueLimit &&
        options.NonEssentialShare.Equals(NonEssentialShare);
}
