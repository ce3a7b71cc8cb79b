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

    [Theory]
    [InlineData("300", "ShardKit:OrderIds:WorkerId must be between 0 and 254 (unique among live instances; 255 is the legacy import's); got 300.")]
    [InlineData("-1", "ShardKit:OrderIds:WorkerId must be between 0 and 254 (unique among live instances; 255 is the legacy import's); got -1.")]
    [InlineData("seven", "ShardKit:OrderIds:WorkerId")]
    public async Task HostStartFailsOnABadWorkerIdWithAMessageNamingTheEntry(string workerId, string message)
    {
        using var host = HostWith(new Dictionary<string, string?> { ["ShardKit:OrderIds:WorkerId"] = workerId }, _ => { });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());

        Assert.True(ex is OptionsValidationException or InvalidOperationException, ex.GetType().Name);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStartFailsOnABadOrderIdShardCountOrClockAllowance()
    {
        using var host = HostWith(
            new Dictionary<string, string?> { ["ShardKit:OrderIds:WorkerId"] = "1", ["ShardKit:OrderIds:ShardCount"] = "0", ["ShardKit:OrderIds:MaxClockRegression"] = "00:05:00" },
            _ => { });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("ShardKit:OrderIds:ShardCount must be between 1 and 128; got 0.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ShardKit:OrderIds:MaxClockRegression", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGoodWorkerIdStartsAndAMissingOneIsLeftToTheFirstOrder()
    {
        using (var good = HostWith(new Dictionary<string, string?> { ["ShardKit:OrderIds:WorkerId"] = "254" }, _ => { }))
        {
            await good.StartAsync();
            Assert.Equal(254, good.Services.GetRequiredService<OrderIdGenerator>().WorkerId);
            await good.StopAsync();
        }

        using var missing = HostWith([], _ => { });
        await missing.StartAsync();
        Assert.Throws<ArgumentException>(() => missing.Services.GetRequiredService<OrderIdGenerator>());
        await missing.StopAsync();
    }

    [Theory]
    [InlineData("relay", "OutboxRelayOptions.BatchSize is 0; it must be from 1 to 10000.")]
    [InlineData("keys", "AlternateKeyStoreOptions.CacheCapacity is -1; it must be from 0 to 10000000.")]
    [InlineData("cross-shard", "CrossShardOptions.MaxPageSize is 0; it must be at least 1.")]
    [InlineData("migrating", "MigratingOrderStoreOptions.PollInterval is 00:00:00; it must be more than zero")]
    public async Task HostStartFailsOnABadComponentOptionWithAMessageNamingIt(string component, string message)
    {
        using var host = HostWith([], services =>
        {
            switch (component)
            {
                case "relay":
                    services.AddTwoDimensionOrderStore(configureRelay: o => o.BatchSize = 0);
                    break;
                case "keys":
                    services.AddAlternateKeyStore(o => o.CacheCapacity = -1, runSweeper: false);
                    break;
                case "cross-shard":
                    services.AddCrossShardQueries(o => o.MaxPageSize = 0);
                    break;
                default:
                    services.AddMigratingOrderStore(o => o.PollInterval = TimeSpan.Zero);
                    break;
            }
        });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private IHost HostWith(Dictionary<string, string?> settings, Action<IServiceCollection> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ShardKit:Clusters:0:Name"] = "c0",
            ["ShardKit:Clusters:0:Primary"] = TestTopologies.Endpoint(3310),
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddShardKit(builder.Configuration.GetSection("ShardKit"), b => b.UseProvider(_provider));
        configure(builder.Services);
        return builder.Build();
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
