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

    /// <summary>Every endpoint of the map, primaries first, then each cluster's replicas.</summary>
    public IEnumerable<EndpointState> Endpoints()
    {
        foreach (var primary in Primaries)
        {
            yield return primary;
        }

        foreach (var replicas in Replicas)
        {
            for (var i = 0; i < replicas.Count; i++)
            {
                yield return replicas[i];
            }
        }
    }

    /// <summary>What is known now about every endpoint of the map: each cluster's primary, then its replicas.</summary>
    public IReadOnlyList<EndpointStatus> GetEndpointStatuses()
    {
        var statuses = new List<EndpointStatus>();
        foreach (var cluster in Map.Clusters)
        {
            var primary = Primaries[cluster.Index];
            statuses.Add(new EndpointStatus(cluster.Name, primary.Endpoint, false, null, false, 0, primary.Guard.Breaker.IsRefusing, primary.Outstanding, primary.Guard.Gate.Queued));
            var replicas = Replicas[cluster.Index];
            for (var i = 0; i < replicas.Count; i++)
            {
                var replica = replicas[i];
                var lag = replica.Health.LagMilliseconds;
                statuses.Add(new EndpointStatus(
                    cluster.Name,
                    replica.Endpoint,
                    true,
                    lag == ReplicaHealth.Unknown ? null : TimeSpan.FromMilliseconds(lag),
                    replica.Health.IsEjected,
                    replica.Health.ConsecutiveFailures,
                    replica.Guard.Breaker.IsRefusing,
                    replica.Outstanding,
                    replica.Guard.Gate.Queued));
            }
        }

        return statuses;
    }
}
