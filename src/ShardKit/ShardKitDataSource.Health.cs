
namespace ShardKit;

/// <content>Replica probing and endpoint status.</content>
public sealed partial class ShardKitDataSource
{
    /// <summary>
    /// Runs one probe round now, in addition to the background ones: writes the heartbeat on every primary that has
    /// replicas and measures each replica's lag, ejecting or re-admitting replicas as <see cref="ReplicaHealthOptions"/> say.
    /// </summary>
    /// <param name="cancellationToken">Cancels the round.</param>
    public Task ProbeReplicasAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _prober.ProbeAsync(cancellationToken);
    }

    /// <summary>What ShardKit knows now about every endpoint of the current map: each cluster's primary, then its replicas.</summary>
    public IReadOnlyList<EndpointStatus> GetEndpointStatuses()
    {
        var state = _state;
        var statuses = new List<EndpointStatus>();
        foreach (var cluster in state.Map.Clusters)
        {
            var primary = state.Primaries[cluster.Index];
            statuses.Add(new EndpointStatus(cluster.Name, primary.Endpoint, false, null, false, 0, primary.Guard.Breaker.IsRefusing, primary.Outstanding, primary.Guard.Gate.Queued));
            var replicas = state.Replicas[cluster.Index];
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
