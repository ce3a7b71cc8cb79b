using System.Diagnostics.Metrics;
using System.Reflection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ShardKit.Tests.Diagnostics;

/// <summary>The public names and version of ShardKit's activity source and meter, and the OpenTelemetry registrations.</summary>
public sealed class ShardKitTelemetryTests
{
    [Fact]
    public void TheNamesArePublicConstantsAndTheVersionIsThePackageVersion()
    {
        Assert.Equal("ShardKit", ShardKitTelemetry.ActivitySourceName);
        Assert.Equal("ShardKit", ShardKitTelemetry.MeterName);
        var informational = typeof(ShardKitTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.StartsWith(ShardKitTelemetry.Version, informational, StringComparison.Ordinal);
        Assert.DoesNotContain("+", ShardKitTelemetry.Version, StringComparison.Ordinal);
        Assert.Matches(@"^\d+\.\d+\.\d+", ShardKitTelemetry.Version);
    }

    [Fact]
    public void EveryInstrumentIsOnTheVersionedShardKitMeter()
    {
        var meters = new List<Meter>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Name.StartsWith("shardkit.", StringComparison.Ordinal))
                {
                    lock (meters)
                    {
                        meters.Add(instrument.Meter);
                    }
                }
            },
        };
        listener.Start();

        using var dataSource = new ShardKitDataSourceBuilder(new ShardKitOptions
        {
            Clusters = [new ShardClusterOptions { Name = "m0", Primary = "Server=127.0.0.1;Port=3398" }],
        }).Build();
        using var keys = new AlternateKeyStore(dataSource);
        using var orders = new TwoDimensionOrderStore(dataSource, alternateKeys: keys);

        lock (meters)
        {
            Assert.NotEmpty(meters);
            Assert.All(meters, m =>
            {
                Assert.Equal(ShardKitTelemetry.MeterName, m.Name);
                Assert.Equal(ShardKitTelemetry.Version, m.Version);
            });
        }
    }

    [Fact]
    public void AddShardKitInstrumentationSubscribesToTheSourceAndTheMeter()
    {
        var tracing = new RecordingTracerProviderBuilder();
        var metrics = new RecordingMeterProviderBuilder();

        Assert.Same(tracing, tracing.AddShardKitInstrumentation());
        Assert.Same(metrics, metrics.AddShardKitInstrumentation());

        Assert.Equal([ShardKitTelemetry.ActivitySourceName], tracing.Sources);
        Assert.Equal([ShardKitTelemetry.MeterName], metrics.Meters);
    }

    private sealed class RecordingTracerProviderBuilder : TracerProviderBuilder
    {
        public List<string> Sources { get; } = [];

        public override TracerProviderBuilder AddInstrumentation<TInstrumentation>(Func<TInstrumentation> instrumentationFactory) => this;

        public override TracerProviderBuilder AddSource(params string[] names)
        {
            Sources.AddRange(names);
            return this;
        }

        public override TracerProviderBuilder AddLegacySource(string operationName) => this;
    }

    private sealed class RecordingMeterProviderBuilder : MeterProviderBuilder
    {
        public List<string> Meters { get; } = [];

        public override MeterProviderBuilder AddInstrumentation<TInstrumentation>(Func<TInstrumentation> instrumentationFactory) => this;

        public override MeterProviderBuilder AddMeter(params string[] names)
        {
            Meters.AddRange(names);
            return this;
        }
    }
}
