using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Routing;

public sealed class DependencyInjectionTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    [Fact]
    public async Task RegistersOneDataSourceBoundToTheConfigurationSection()
    {
        var configuration = ReloadTests.DevUpConfiguration();
        var services = new ServiceCollection();
        services.AddShardKit(configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        services.AddShardKit(configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        await using var provider = services.BuildServiceProvider();

        var shards = provider.GetRequiredService<ShardKitDataSource>();

        Assert.Same(shards, provider.GetRequiredService<ShardKitDataSource>());
        Assert.Single(services, d => d.ServiceType == typeof(ShardKitDataSource));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ShardKitOptions>));
        Assert.Equal(2, shards.Map.Clusters.Count);
        await using var connection = await shards.OpenUserShardAsync(10, ShardIntent.Read);
        Assert.Equal(1, _provider.Server.Opened);
    }

    [Fact]
    public async Task RegistersFromADelegate()
    {
        var services = new ServiceCollection();
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp(3).Clusters, b => b.UseProvider(_provider));
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(3, provider.GetRequiredService<ShardKitDataSource>().Map.Clusters.Count);
    }

    [Fact]
    public async Task HostStartFailsOnABadMapWithAMessageNamingTheEntry()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ShardKit:Clusters:0:Name"] = "c0",
            ["ShardKit:Clusters:0:Primary"] = TestTopologies.Endpoint(3310),
            ["ShardKit:Dimensions:Merchant:Placement:0:Shards"] = "0-17",
            ["ShardKit:Dimensions:Merchant:Placement:0:Cluster"] = "c0",
            ["ShardKit:Dimensions:Merchant:Placement:1:Shards"] = "17-119",
            ["ShardKit:Dimensions:Merchant:Placement:1:Cluster"] = "c0",
        });
        builder.Services.AddShardKit(builder.Configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        using var host = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("merchant shard 17 is mapped twice (c0 and c0)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReloadsThroughTheOptionsMonitorAndLogsARejectedMap()
    {
        var logs = new ListLoggerProvider();
        var configuration = ReloadTests.DevUpConfiguration();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddShardKit(configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        await using var provider = services.BuildServiceProvider();
        var shards = provider.GetRequiredService<ShardKitDataSource>();

        configuration["ShardKit:MapVersion"] = "5";
        configuration.Reload();
        Assert.Equal(5, shards.Map.Version);

        configuration["ShardKit:MapVersion"] = "6";
        configuration["ShardKit:Clusters:1:Name"] = "c0";
        Record.Exception(configuration.Reload);

        Assert.Equal(5, shards.Map.Version);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 1002 && e.Message.Contains("cluster name 'c0' is used by more than one cluster", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RegistersAnOrderIdGeneratorWithTheConfiguredWorkerId()
    {
        var configuration = ReloadTests.DevUpConfiguration();
        configuration["ShardKit:OrderIds:WorkerId"] = "7";
        var services = new ServiceCollection();
        services.AddShardKit(configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        await using var provider = services.BuildServiceProvider();

        var generator = provider.GetRequiredService<OrderIdGenerator>();

        Assert.Equal(7, generator.WorkerId);
        Assert.Equal(7, generator.Next(1, 2).WorkerId);
    }

    [Fact]
    public async Task TakesTheGeneratorsWorkerIdFromARegisteredLease()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IWorkerIdLease>(new FixedLease());
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp().Clusters, b => b.UseProvider(_provider));
        await using var provider = services.BuildServiceProvider();

        Assert.Equal(42, provider.GetRequiredService<OrderIdGenerator>().WorkerId);
    }

    private sealed class FixedLease : IWorkerIdLease
    {
        public int WorkerId => 42;

        public bool IsHeld => true;
    }
}
