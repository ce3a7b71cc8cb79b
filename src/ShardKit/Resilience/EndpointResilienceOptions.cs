namespace ShardKit.Resilience;

/// <summary>
/// Fail-fast limits applied to every physical endpoint (primary or replica), the <c>Resilience</c> subsection of
/// <see cref="ShardKitOptions"/>: timeouts, a circuit breaker and a concurrency limit with a bounded queue.
/// </summary>
public sealed class EndpointResilienceOptions
{
    /// <summary>
    /// How long opening a connection may take, waiting for a free pooled connection and a concurrency slot included
    /// (100 ms to 30 s). Past it the open fails with <see cref="ShardKitErrorCode.ShardUnavailable"/>. Default 2 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The default command timeout given to connections of the built-in provider (ShardKit.MySqlClient) whose connection
    /// string does not set <c>Default Command Timeout</c> (1 s to 10 minutes, whole seconds). Default 5 s.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The circuit breaker of an endpoint opens after this many consecutive failed opens (1 to 1000). Default 5.</summary>
    public int BreakAfterFailures { get; set; } = 5;

    /// <summary>
    /// How long an open breaker refuses calls at once (no connection attempt) before letting one trial open through
    /// (half-open), from 100 ms to 10 minutes. Default 5 s.
    /// </summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Connections ShardKit lets callers hold at once per endpoint (1 to 100,000). Default 256.</summary>
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>
    /// Callers that may wait for a slot when <see cref="MaxConcurrency"/> is reached (0 to 100,000); beyond it an open fails
    /// at once with <see cref="ShardKitErrorCode.Overloaded"/>. Default 512.
    /// </summary>
    public int QueueLimit { get; set; } = 512;

    /// <summary>
    /// The share of <see cref="MaxConcurrency"/> that calls marked non-essential (<see cref="ReadOptions.NonEssential"/>)
    /// may use, from 0 to 1; they never queue, so under overload they are shed first. Default 0.5.
    /// </summary>
    public double NonEssentialShare { get; set; } = 0.5;

    /// <summary>
    /// How many times <see cref="ShardKitDataSource.ReadAsync{T}"/> runs a read again after a transient failure, on a freshly
    /// chosen server (0 to 5; writes are never retried). Default 1.
    /// </summary>
    public int ReadRetries { get; set; } = 1;
}
