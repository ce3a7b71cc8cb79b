using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace ShardKit.Orders;

/// <summary>
/// The dimension-lag instruments on the <c>ShardKit</c> meter: <c>shardkit.dimension.lag</c> (seconds, the age of
/// the oldest pending outbox entry, per user shard, tag <c>shardkit.shard</c>), <c>shardkit.dimension.lag.max</c>
/// (seconds, the largest of them) and <c>shardkit.dimension.pending</c> (entries, per user shard). The values are
/// those of the latest measurement (<see cref="TwoDimensionOrderStore.GetLagAsync"/> or a relay pass).
/// </summary>
internal sealed class DimensionMetrics : IDisposable
{
    public const string ShardTag = "shardkit.shard";

    private readonly Meter _meter = new(ShardKitTelemetry.MeterName, ShardKitTelemetry.Version);
    private readonly ConcurrentDictionary<string, (double LagSeconds, long Pending)> _shards = new(StringComparer.Ordinal);

    public DimensionMetrics()
    {
        _meter.CreateObservableGauge("shardkit.dimension.lag", ObserveLag, "s", "Age of the oldest outbox entry not yet applied to the merchant dimension, per user shard.");
        _meter.CreateObservableGauge("shardkit.dimension.lag.max", ObserveMaxLag, "s", "Age of the oldest outbox entry not yet applied to the merchant dimension, over all user shards.");
        _meter.CreateObservableGauge("shardkit.dimension.pending", ObservePending, "{entry}", "Outbox entries not yet applied to the merchant dimension, per user shard.");
    }

    public void Record(string shard, TimeSpan lag, long pending) => _shards[shard] = (lag.TotalSeconds, pending);

    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<double>> ObserveLag() =>
        _shards.Select(s => new Measurement<double>(s.Value.LagSeconds, new KeyValuePair<string, object?>(ShardTag, s.Key)));

    private double ObserveMaxLag() => _shards.IsEmpty ? 0 : _shards.Values.Max(v => v.LagSeconds);

    private IEnumerable<Measurement<long>> ObservePending() =>
        _shards.Select(s => new Measurement<long>(s.Value.Pending, new KeyValuePair<string, object?>(ShardTag, s.Key)));
}
