using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.AlternateKeys;

public sealed class AlternateKeyRegistrationTests
{
    [Fact]
    public void RegistersOneStoreAndItsSweeperAndTheOrderStoreCreatesOrdersWithKeysThroughIt()
    {
        var services = new ServiceCollection();
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp().Clusters, shards => shards.UseProvider(new FakeProviderFactory(new FakeServer())));
        services.AddTwoDimensionOrderStore();
        services.AddAlternateKeyStore(keys => keys.CacheCapacity = 7);
        services.AddAlternateKeyStore();
        using var provider = services.BuildServiceProvider();

        var keys = provider.GetRequiredService<AlternateKeyStore>();
        Assert.Same(provider.GetRequiredService<ShardKitDataSource>(), keys.DataSource);
        Assert.Same(keys, provider.GetRequiredService<TwoDimensionOrderStore>().AlternateKeys);
        Assert.Equal(7, keys.GetCacheStatistics().Capacity);
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is AlternateKeySweeper);
        Assert.Equal(2, provider.GetServices<IHostedService>().Count(s => s is not TableModelStartupCheck));
    }

    [Fact]
    public void TheSweeperCanBeLeftToAnotherProcess()
    {
        var services = new ServiceCollection();
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp().Clusters, shards => shards.UseProvider(new FakeProviderFactory(new FakeServer())));
        services.AddAlternateKeyStore(runSweeper: false);
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<AlternateKeyStore>());
        Assert.DoesNotContain(provider.GetServices<IHostedService>(), s => s is not TableModelStartupCheck);
    }

    [Theory]
    [InlineData("CacheCapacity", "CacheCapacity is -1")]
    [InlineData("CacheDuration", "CacheDuration is 00:00:00")]
    [InlineData("DanglingGracePeriod", "DanglingGracePeriod is -00:00:01")]
    [InlineData("BatchSize", "BatchSize is 0")]
    public void AnOptionOutOfRangeIsNamedWhenTheStoreIsCreated(string option, string expected)
    {
        var options = new AlternateKeyStoreOptions();
        switch (option)
        {
            case "CacheCapacity": options.CacheCapacity = -1; break;
            case "CacheDuration": options.CacheDuration = TimeSpan.Zero; break;
            case "DanglingGracePeriod": options.DanglingGracePeriod = TimeSpan.FromSeconds(-1); break;
            default: options.BatchSize = 0; break;
        }

        using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(new FakeProviderFactory(new FakeServer())).Build();
        var error = Assert.Throws<ArgumentException>(() => new AlternateKeyStore(shards, options));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatingAnOrderWithKeysNeedsAnAlternateKeyStore()
    {
        using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(new FakeProviderFactory(new FakeServer())).Build();
        using var store = new TwoDimensionOrderStore(shards);
        var id = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 }).Next(5, 6);
        var order = new OrderRecord { Id = id, UserId = 5, MerchantId = 6, Status = "created", TotalAmount = 1m, Currency = "EUR" };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.CreateAsync(order, [new AlternateKey("trade-no", "T-1")]));

        Assert.Contains("without an AlternateKeyStore", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATargetOrderOfAnotherUserIsRefusedBeforeAnyShardIsContacted()
    {
        var server = new FakeServer();
        using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(new FakeProviderFactory(server)).Build();
        using var keys = new AlternateKeyStore(shards);
        var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 });
        var user = Enumerable.Range(2, 1000).First(u => ShardFunctions.UserShard(u, 120) != ShardFunctions.UserShard(1, 120));
        var orderOfUser1 = ids.Next(1, 6);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => keys.ClaimAsync(new AlternateKey("trade-no", "T-1"), new AlternateKeyTarget(user, orderOfUser1)));

        Assert.Contains("the order is not that user's", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Opened);
    }

    [Fact]
    public async Task ADefaultKeyIsRefusedBeforeAnyShardIsContacted()
    {
        var server = new FakeServer();
        using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(new FakeProviderFactory(server)).Build();
        using var keys = new AlternateKeyStore(shards);

        var claim = await Assert.ThrowsAsync<ArgumentException>(() => keys.ClaimAsync(default, new AlternateKeyTarget(1)));
        var lookup = await Assert.ThrowsAsync<ArgumentException>(() => keys.LookupAsync(default));
        var release = await Assert.ThrowsAsync<ArgumentException>(() => keys.ReleaseAsync(default));

        Assert.All([claim, lookup, release], e => Assert.Equal("key", e.ParamName));
        Assert.Equal(0, server.Opened);
    }
}
