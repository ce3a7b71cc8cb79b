using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ShardKit.Diagnostics;

/// <summary>
/// The routing and endpoint instruments of one data source on the <c>ShardKit</c> meter:
/// <c>shardkit.operation.duration</c> (s, a routed connection from open to dispose, per shard and endpoint; failed opens
/// carry <c>error.type</c>), <c>shardkit.operation.errors</c>, <c>shardkit.replica.lag</c> (s),
/// <c>shardkit.replica.ejections</c>, <c>shardkit.replica.fallbacks</c>, <c>shardkit.endpoint.breaker.state</c>
/// (0 closed, 1 half-open, 2 open), <c>shardkit.endpoint.connections.in_use</c> and <c>shardkit.endpoint.queue.length</c>.
/// </summary>
internal sealed class RoutingMetrics : IDisposable
{
    private readonly Meter _meter = new(ShardKitTelemetry.MeterName, ShardKitTelemetry.Version);
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _ejections;
    private readonly Counter<long> _fallbacks;
    private readonly Func<IEnumerable<EndpointState>> _endpoints;

    public RoutingMetrics(Func<IEnumerable<EndpointState>> endpoints)
    {
        _endpoints = endpoints;
        _duration = _meter.CreateHistogram<double>("shardkit.operation.duration", "s", "Duration of a routed connection, from open to dispose.");
        _errors = _meter.CreateCounter<long>("shardkit.operation.errors", "{error}", "Routed opens that failed.");
        _ejections = _meter.CreateCounter<long>("shardkit.replica.ejections", "{ejection}", "Replicas ejected for lag or failed probes.");
        _fallbacks = _meter.CreateCounter<long>("shardkit.replica.fallbacks", "{read}", "Replica reads served by the primary instead.");
        _meter.CreateObservableGauge("shardkit.replica.lag", ObserveLag, "s", "Measured replica lag (heartbeat).");
        _meter.CreateObservableGauge("shardkit.endpoint.breaker.state", ObserveBreaker, "{state}", "Circuit breaker state: 0 closed, 1 half-open, 2 open.");
        _meter.CreateObservableGauge("shardkit.endpoint.connections.in_use", ObserveInUse, "{connection}", "Connections callers hold on the endpoint.");
        _meter.CreateObservableGauge("shardkit.endpoint.queue.length", ObserveQueue, "{caller}", "Callers waiting for a connection slot on the endpoint.");
    }

    public bool DurationEnabled => _duration.Enabled;

    public void RecordDuration(double seconds, in TagList tags) => _duration.Record(seconds, tags);

    public void RecordError(string shard, string endpoint, ShardKitErrorCode code) =>
        _errors.Add(1, new TagList { { TelemetryTags.Shard, shard }, { TelemetryTags.Endpoint, endpoint }, { TelemetryTags.ErrorType, ErrorName(code) } });

    public void RecordEjection(EndpointState replica) =>
        _ejections.Add(1, new TagList { { TelemetryTags.Cluster, replica.Cluster }, { TelemetryTags.Endpoint, replica.Endpoint.Address } });

    public void RecordFallback(string cluster, string reason) =>
        _fallbacks.Add(1, new TagList { { TelemetryTags.Cluster, cluster }, { TelemetryTags.Reason, reason } });

    public void Dispose() => _meter.Dispose();

    public static string ErrorName(ShardKitErrorCode code) => code switch
    {
        ShardKitErrorCode.ShardUnavailable => nameof(ShardKitErrorCode.ShardUnavailable),
        ShardKitErrorCode.Overloaded => nameof(ShardKitErrorCode.Overloaded),
        ShardKitErrorCode.CrossShardTransaction => nameof(ShardKitErrorCode.CrossShardTransaction),
        _ => code.ToString(),
    };

    private static KeyValuePair<string, object?>[] EndpointTags(EndpointState state) =>
    [
        new(TelemetryTags.Cluster, state.Cluster),
        new(TelemetryTags.Endpoint, state.Endpoint.Address),
        new(TelemetryTags.Role, state.IsReplica ? TelemetryTags.Replica : TelemetryTags.Primary),
    ];

    private IEnumerable<Measurement<double>> ObserveLag()
    {
        foreach (var state in _endpoints())
        {
            if (state.IsReplica && state.Health.LagMilliseconds >= 0)
            {
                yield return new Measurement<double>(state.Health.LagMilliseconds / 1000.0, EndpointTags(state));
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveBreaker() =>
        _endpoints().Select(s => new Measurement<int>((int)s.Guard.Breaker.State, EndpointTags(s)));

    private IEnumerable<Measurement<int>> ObserveInUse() =>
        _endpoints().Select(s => new Measurement<int>(s.Outstanding, EndpointTags(s)));

    private IEnumerable<Measurement<int>> ObserveQueue() =>
        _endpoints().Select(s => new Measurement<int>(s.Guard.Gate.Queued, EndpointTags(s)));
}
