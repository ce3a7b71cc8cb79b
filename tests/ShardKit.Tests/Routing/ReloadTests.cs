using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Routing;

public sealed class ReloadTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());
    private readonly ListLoggerProvider _logs = new();

    internal static IConfigurationRoot DevUpConfiguration() => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ShardKit:Clusters:0:Name"] = "c0",
            ["ShardKit:Clusters:0:Primary"] = TestTopologies.Endpoint(3310),
            ["ShardKit:Clusters:1:Name"] = "c1",
            ["ShardKit:Clusters:1:Primary"] = TestTopologies.Endpoint(3312),
        })
        .Build();

    [Fact]
    public async Task PicksUpAChangedMapForNewOperations()
    {
        var configuration = DevUpConfiguration();
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit"))
            .UseProvider(_provider).UseLoggerFactory(_logs).Build();
        var before = shards.Map;

        configuration["ShardKit:MapVersion"] = "2";
        configuration["ShardKit:Dimensions:User:Placement:0:Shards"] = "0-119";
        configuration["ShardKit:Dimensions:User:Placement:0:Cluster"] = "c1";
        configuration.Reload();

        Assert.NotSame(before, shards.Map);
        Assert.Equal(2, shards.Map.Version);
        Assert.Equal("c1", shards.Map.GetRoute(ShardDimension.User, 0).Cluster.Name);
        Assert.Equal("c0", before.GetRoute(ShardDimension.User, 0).Cluster.Name);
        await using var connection = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.User, 0), ShardIntent.Write);
        Assert.Equal(TestTopologies.Endpoint(3312), connection.Connection.ConnectionString);
        Assert.Equal(2, _provider.DataSources.Count);
        Assert.Contains(_logs.Entries, e => e.EventId.Id == 1001 && e.Message.Contains("map v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task KeepsTheOldMapAndLogsWhenTheReloadedMapIsInvalid()
    {
        var configuration = DevUpConfiguration();
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit"))
            .UseProvider(_provider).UseLoggerFactory(_logs).Build();
        var before = shards.Map;

        configuration["ShardKit:MapVersion"] = "3";
        configuration["ShardKit:Dimensions:User:Placement:0:Shards"] = "0-118";
        configuration["ShardKit:Dimensions:User:Placement:0:Cluster"] = "c1";
        // The options monitor rethrows the validation failure to whoever triggered the reload.
        Record.Exception(configuration.Reload);

        Assert.Same(before, shards.Map);
        var rejected = Assert.Single(_logs.Entries, e => e.EventId.Id == 1002);
        Assert.Equal(LogLevel.Error, rejected.Level);
        Assert.Contains("user shard 119 is not mapped", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, rejected.Message, StringComparison.Ordinal);

        configuration["ShardKit:Dimensions:User:Placement:0:Shards"] = "0-119";
        configuration.Reload();
        Assert.Equal(3, shards.Map.Version);
    }

    [Fact]
    public async Task KeepsPoolsOfUnchangedEndpointsAcrossReloads()
    {
        var configuration = DevUpConfiguration();
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).UseProvider(_provider).Build();

        configuration["ShardKit:Clusters:2:Name"] = "c2";
        configuration["ShardKit:Clusters:2:Primary"] = TestTopologies.Endpoint(3314);
        configuration["ShardKit:MapVersion"] = "2";
        configuration.Reload();

        Assert.Equal(3, shards.Map.Clusters.Count);
        Assert.Equal([TestTopologies.Endpoint(3310), TestTopologies.Endpoint(3312), TestTopologies.Endpoint(3314)], _provider.DataSources);
    }

    [Fact]
    public async Task ARouteFromAnOlderMapStillOpensTheEndpointItNamed()
    {
        var configuration = DevUpConfiguration();
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).UseProvider(_provider).Build();
        var oldRoute = shards.Map.GetRoute(ShardDimension.User, 0);

        configuration["ShardKit:Dimensions:User:Placement:0:Shards"] = "0-119";
        configuration["ShardKit:Dimensions:User:Placement:0:Cluster"] = "c1";
        configuration.Reload();

        await using var connection = await shards.OpenAsync(oldRoute, ShardIntent.Write);
        Assert.Equal(TestTopologies.Endpoint(3310), connection.Connection.ConnectionString);
    }

    [Fact]
    public void BuildingFromAnInvalidSectionThrowsInvalidTopologyNamingTheEntry()
    {
        var configuration = DevUpConfiguration();
        configuration["ShardKit:Dimensions:User:Placement:0:Shards"] = "0-59";
        configuration["ShardKit:Dimensions:User:Placement:0:Cluster"] = "c9";

        var ex = Assert.Throws<ShardKitException>(() =>
            new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).UseProvider(_provider).Build());

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
        Assert.Equal("ShardKit topology: user placement #0 (0-59) refers to unknown cluster 'c9'", ex.Message);
        Assert.Empty(_provider.DataSources);
    }
}
