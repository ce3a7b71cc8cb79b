using Polly;

namespace ShardKit.Routing;

/// <summary>
/// A compiled map with the endpoint state of each cluster's primary, their replica sets and fallback budgets, and the
/// options that came with it, swapped as one reference.
/// </summary>
internal sealed class RoutingState
{
    public RoutingState(ShardMap map, EndpointState[] primaries, ReplicaSet[] replicas, FallbackBudget[] fallbacks, ShardKitOptions options, ResiliencePipeline readRetry)
    {
        ReadRetry = readRetry;
        Map = map;
        Primaries = primaries;
        Replicas = replicas;
        Fallbacks = fallbacks;
        CausalReadWait = options.CausalReadWait;
        Health = options.ReplicaHealth ?? new ReplicaHealthOptions();
        Resilience = options.Resilience ?? new EndpointResilienceOptions();
        Connections = options.Connections ?? new ShardConnectionOptions();
        DefaultMaxLagMilliseconds = Health.MaxLag is { } maxLag ? (long)maxLag.TotalMilliseconds : -1;
    }

    public ShardMap Map { get; }

    /// <summary>The retry of <see cref="ShardKitDataSource.ReadAsync{T}"/>.</summary>
    public ResiliencePipeline ReadRetry { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public EndpointState[] Primaries { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public ReplicaSet[] Replicas { get; }

    /// <summary>Indexed by <see cref="ShardCluster.Index"/>.</summary>
    public FallbackBudget[] Fallbacks { get; }

    /// <summary>How long a replica may take to apply a causal token before the read goes elsewhere.</summary>
    public TimeSpan CausalReadWait { get; }

    public ReplicaHealthOptions Health { get; }

    public EndpointResilienceOptions Resilience { get; }

    /// <summary>Pool sizes and TLS of every endpoint.</summary>
    public ShardConnectionOptions Connections { get; }

    /// <summary>The configured maximum lag in milliseconds, or -1 for none.</summary>
    public long DefaultMaxLagMilliseconds { get; }
}
