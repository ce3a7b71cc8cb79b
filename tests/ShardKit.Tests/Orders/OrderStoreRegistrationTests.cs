using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Orders;

public sealed class OrderStoreRegistrationTests
{
    [Fact]
    public void RegistersOneStoreVerifierAndRelayRunAsAHostedServiceOverTheRegisteredDataSource()
    {
        var services = new ServiceCollection();
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp().Clusters, shards => shards.UseProvider(new FakeProviderFactory(new FakeServer())));
        services.AddTwoDimensionOrderStore(store => store.ApplyMerchantCopyImmediately = false, relay => relay.BatchSize = 17);
        services.AddTwoDimensionOrderStore();
        using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<TwoDimensionOrderStore>();
        Assert.Same(provider.GetRequiredService<ShardKitDataSource>(), store.DataSource);
        Assert.Same(provider.GetRequiredService<OutboxRelay>(), Assert.Single(provider.GetServices<IHostedService>(), s => s is not TableModelStartupCheck));
        Assert.NotNull(provider.GetRequiredService<DimensionVerifier>());
        Assert.Equal(17, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<OutboxRelayOptions>>().Value.BatchSize);
    }

    [Fact]
    public void AnInvalidRelayOptionFailsWhenTheRelayIsCreated()
    {
        var services = new ServiceCollection();
        services.AddShardKit(o => o.Clusters = TestTopologies.DevUp().Clusters, shards => shards.UseProvider(new FakeProviderFactory(new FakeServer())));
        services.AddTwoDimensionOrderStore(configureRelay: relay => relay.Parallelism = 0);
        using var provider = services.BuildServiceProvider();

        // The options system runs the relay's own checks (and ValidateOnStart fails a host's start with them).
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<OutboxRelay>());
        Assert.Contains("OutboxRelayOptions.Parallelism is 0", error.Message, StringComparison.Ordinal);
    }
}
