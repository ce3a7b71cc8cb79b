using System.Diagnostics.Metrics;

namespace ShardKit.Tests.Orders;

public sealed class DimensionMetricsTests
{
    [Fact]
    public void PublishesTheLagPerShardAndItsMaximumInSecondsOnTheShardKitMeter()
    {
        using var metrics = new DimensionMetrics();
        metrics.Record("user:3", TimeSpan.FromSeconds(2.5), pending: 4);
        metrics.Record("user:9", TimeSpan.FromSeconds(7), pending: 1);
        metrics.Record("user:3", TimeSpan.FromSeconds(1.5), pending: 2);
        var lag = new Dictionary<string, double>();
        var pending = new Dictionary<string, long>();
        double? max = null;
        string? unit = null;

        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "ShardKit" && instrument.Name.StartsWith("shardkit.dimension.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "shardkit.dimension.lag")
            {
                unit = instrument.Unit;
                lag[(string)tags.ToArray().Single(t => t.Key == "shardkit.shard").Value!] = value;
            }
            else if (instrument.Name == "shardkit.dimension.lag.max")
            {
                max = value;
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            pending[(string)tags.ToArray().Single(t => t.Key == "shardkit.shard").Value!] = value);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal("s", unit);
        Assert.Equal(new Dictionary<string, double> { ["user:3"] = 1.5, ["user:9"] = 7 }, lag);
        Assert.Equal(7, max);
        Assert.Equal(new Dictionary<string, long> { ["user:3"] = 2, ["user:9"] = 1 }, pending);
    }
}
