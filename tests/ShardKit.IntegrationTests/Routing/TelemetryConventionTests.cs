using System.Collections.Concurrent;
using System.Diagnostics;

namespace ShardKit.IntegrationTests.Routing;

/// <summary>ShardKit's spans against a real MariaDB server: the OpenTelemetry database conventions.</summary>
[Collection("Topology")]
public sealed class TelemetryConventionTests(TopologyFixture fixture)
{
    [Fact]
    public async Task ARoutedConnectionSpanNamesMariaDbTheServerAndTheSchema()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ShardKitTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        const long userId = 4_242_424;
        var route = shards.Map.RouteUser(userId);

        await using (await shards.OpenUserShardAsync(userId, ShardIntent.Write))
        {
        }

        var span = Assert.Single(spans, s => (string?)s.GetTagItem("shardkit.shard") == route.Name && (string?)s.GetTagItem("shardkit.role") == "primary");
        Assert.Equal("mariadb", span.GetTagItem("db.system.name"));
        Assert.Equal(route.Endpoint.Host, span.GetTagItem("server.address"));
        Assert.Equal(route.Endpoint.Port, span.GetTagItem("server.port"));
        Assert.Equal(route.Schema, span.GetTagItem("db.namespace"));
        Assert.Equal(ShardKitTelemetry.Version, span.Source.Version);
    }
}
