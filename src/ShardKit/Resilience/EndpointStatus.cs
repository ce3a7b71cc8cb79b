namespace ShardKit.Resilience;

/// <summary>A snapshot of what ShardKit knows about one physical endpoint of the current map (see <see cref="ShardKitDataSource.GetEndpointStatuses"/>).</summary>
public sealed class EndpointStatus
{
    internal EndpointStatus(string cluster, ShardEndpoint endpoint, bool isReplica, TimeSpan? lag, bool isEjected, int failedProbes, bool isCircuitOpen, int inUse, int queued)
    {
        Cluster = cluster;
        Endpoint = endpoint;
        IsReplica = isReplica;
        Lag = lag;
        IsEjected = isEjected;
        FailedProbes = failedProbes;
        IsCircuitOpen = isCircuitOpen;
        InUse = inUse;
        Queued = queued;
    }

    /// <summary>The cluster's name.</summary>
    public string Cluster { get; }

    /// <summary>The endpoint (<c>host:port</c> when printed).</summary>
    public ShardEndpoint Endpoint { get; }

    /// <summary>Whether it is a replica (otherwise the cluster's primary).</summary>
    public bool IsReplica { get; }

    /// <summary>A replica's latest measured lag; null for a primary and before the first measurement.</summary>
    public TimeSpan? Lag { get; }

    /// <summary>Whether the replica is ejected (serves no read until re-admitted); always false for a primary.</summary>
    public bool IsEjected { get; }

    /// <summary>A replica's failed probes in a row.</summary>
    public int FailedProbes { get; }

    /// <summary>Whether the endpoint's circuit breaker refuses calls now.</summary>
    public bool IsCircuitOpen { get; }

    /// <summary>Connections callers hold on the endpoint now.</summary>
    public int InUse { get; }

    /// <summary>Callers waiting for a connection slot.</summary>
    public int Queued { get; }

    /// <summary>Returns for example <c>c0 replica 127.0.0.1:3311: lag 12 ms</c> (no password).</summary>
    public override string ToString()
    {
        var role = IsReplica ? "replica" : "primary";
        var lag = Lag is { } value ? FormattableString.Invariant($", lag {value.TotalMilliseconds:0} ms") : "";
        var flags = (IsEjected ? ", ejected" : "") + (IsCircuitOpen ? ", circuit open" : "");
        return $"{Cluster} {role} {Endpoint.Address}: {InUse} in use{lag}{flags}";
    }
}
