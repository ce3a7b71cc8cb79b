using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Diagnostics;

/// <summary>The ShardKit meter, activity source and health checks, on endpoints no other test uses (ports 3390-3393).</summary>
public sealed class TelemetryTests
{
    private const string Primary0 = "127.0.0.1:3390";
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private static ShardKitOptions Options() => new()
    {
        ReplicaHealth = TestTopologies.NoProbing(),
        Resilience = { BreakAfterFailures = 1 },
        Clusters =
        [
            new ShardClusterOptions { Name = "t0", Primary = TestTopologies.Endpoint(3390), Replicas = [TestTopologies.Endpoint(3391)] },
            new ShardClusterOptions { Name = "t1", Primary = TestTopologies.Endpoint(3392), Replicas = [TestTopologies.Endpoint(3393)] },
        ],
    };

    [Fact]
    public async Task InstrumentsFirePerShardAndEndpointWithoutThePassword()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "ShardKit" && instrument.Name.StartsWith("shardkit.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<int>((i, v, tags, _) => measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        listener.Start();

        await using var shards = new ShardKitDataSourceBuilder(Options()).UseProvider(_provider).Build();
        var user = UserOn(shards.Map, "t0");
        await using (await shards.OpenUserShardAsync(user, ShardIntent.Write))
        {
        }

        _provider.Server.Down[TestTopologies.Endpoint(3390)] = true;
        await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(user, ShardIntent.Write));
        listener.RecordObservableInstruments();

        var ours = measurements.Where(m => m.Tags.TryGetValue("shardkit.endpoint", out var e) && e is string s && s.StartsWith("127.0.0.1:339", StringComparison.Ordinal)).ToList();
        var shard = shards.Map.RouteUser(user).Name;
        var duration = Assert.Single(ours, m => m.Instrument == "shardkit.operation.duration");
        Assert.Equal(shard, duration.Tags["shardkit.shard"]);
        Assert.Equal("user", duration.Tags["shardkit.dimension"]);
        Assert.Equal(Primary0, duration.Tags["shardkit.endpoint"]);
        Assert.Equal("primary", duration.Tags["shardkit.role"]);
        var error = Assert.Single(ours, m => m.Instrument == "shardkit.operation.errors");
        Assert.Equal("ShardUnavailable", error.Tags["error.type"]);
        Assert.Equal(shard, error.Tags["shardkit.shard"]);
        Assert.Contains(ours, m => m.Instrument == "shardkit.endpoint.breaker.state" && (string?)m.Tags["shardkit.endpoint"] == Primary0 && m.Value == 2);
        Assert.Contains(ours, m => m.Instrument == "shardkit.endpoint.connections.in_use" && (string?)m.Tags["shardkit.endpoint"] == "127.0.0.1:3392");
        Assert.DoesNotContain(ours, m => m.Tags.Values.Any(v => v?.ToString()?.Contains(TestTopologies.Password, StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task EachRoutedConnectionIsASpanTaggedWithDimensionShardAndEndpointWithoutThePassword()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "ShardKit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        await using var shards = new ShardKitDataSourceBuilder(Options()).UseProvider(_provider).Build();
        var user = UserOn(shards.Map, "t1");
        await using (await shards.OpenUserShardAsync(user, ShardIntent.Read))
        {
        }

        _provider.Server.Down[TestTopologies.Endpoint(3392)] = true;
        await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(user, ShardIntent.Write));

        var ours = activities.Where(a => a.GetTagItem("shardkit.cluster") as string == "t1").ToList();
        var read = Assert.Single(ours, a => a.Status != ActivityStatusCode.Error);
        Assert.Equal("shardkit.connection", read.OperationName);
        Assert.Equal(ActivityKind.Client, read.Kind);
        Assert.Equal("user", read.GetTagItem("shardkit.dimension"));
        Assert.Equal(shards.Map.RouteUser(user).Name, read.GetTagItem("shardkit.shard"));
        Assert.Equal("127.0.0.1:3393", read.GetTagItem("shardkit.endpoint"));
        Assert.Equal("replica", read.GetTagItem("shardkit.role"));
        Assert.Equal("mysql", read.GetTagItem("db.system.name"));
        Assert.Equal("127.0.0.1", read.GetTagItem("server.address"));
        Assert.Equal(3393, read.GetTagItem("server.port"));
        Assert.Equal(shards.Map.RouteUser(user).Schema, read.GetTagItem("db.namespace"));
        Assert.Null(read.GetTagItem("db.system"));
        Assert.Equal(ShardKitTelemetry.ActivitySourceName, read.Source.Name);
        Assert.Equal(ShardKitTelemetry.Version, read.Source.Version);
        var failed = Assert.Single(ours, a => a.Status == ActivityStatusCode.Error);
        Assert.Equal("ShardUnavailable", failed.GetTagItem("error.type"));
        Assert.Contains("127.0.0.1:3392", failed.StatusDescription, StringComparison.Ordinal);
        Assert.All(ours, a =>
        {
            Assert.DoesNotContain(TestTopologies.Password, a.StatusDescription ?? "", StringComparison.Ordinal);
            Assert.DoesNotContain(a.TagObjects, t => t.Value?.ToString()?.Contains(TestTopologies.Password, StringComparison.Ordinal) == true);
        });
    }

    [Fact]
    public async Task OneHealthCheckPerClusterReportsAnUnreachablePrimaryWithoutThePassword()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddShardKit(
            o =>
            {
                o.Clusters = Options().Clusters;
                o.ReplicaHealth = TestTopologies.NoProbing();
            },
            b => b.UseProvider(_provider));
        services.AddHealthChecks().AddShardKitHealthChecks(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        _provider.Server.Down[TestTopologies.Endpoint(3392)] = true;

        var report = await health.CheckHealthAsync();

        Assert.Equal(["shardkit:t0", "shardkit:t1"], report.Entries.Keys.Order());
        Assert.Equal(HealthStatus.Healthy, report.Entries["shardkit:t0"].Status);
        var down = report.Entries["shardkit:t1"];
        Assert.Equal(HealthStatus.Unhealthy, down.Status);
        Assert.Contains("127.0.0.1:3392", down.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, down.Description, StringComparison.Ordinal);
        Assert.Contains("ready", down.Tags);
        Assert.Equal("lag not measured", down.Data["replica 127.0.0.1:3393"]);
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }

    private static long UserOn(ShardMap map, string cluster)
    {
        for (long user = 1; ; user++)
        {
            if (map.RouteUser(user).Cluster.Name == cluster)
            {
                return user;
            }
        }
    }
}
