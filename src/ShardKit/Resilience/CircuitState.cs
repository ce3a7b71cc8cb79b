namespace ShardKit.Resilience;

/// <summary>The state of an endpoint's circuit breaker (also the value of the <c>shardkit.endpoint.breaker.state</c> gauge).</summary>
internal enum CircuitState
{
    /// <summary>Calls go through.</summary>
    Closed = 0,

    /// <summary>The break has elapsed: one trial call may go through; its outcome closes or re-opens the breaker.</summary>
    HalfOpen = 1,

    /// <summary>Calls are refused at once, without a connection attempt.</summary>
    Open = 2,
}
