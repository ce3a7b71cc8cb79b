using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the two-dimension writes (<see cref="OrderStore"/>, <see cref="OutboxRelay"/>, <see cref="DimensionVerifier"/>).</summary>
public static class OrderStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="OrderStore"/> and <see cref="DimensionVerifier"/> over the registered
    /// <see cref="ShardKitDataSource"/> (call <c>AddShardKit</c> too), and a singleton <see cref="OutboxRelay"/> run as a
    /// hosted service. <see cref="OrderStoreOptions"/> and <see cref="OutboxRelayOptions"/> come from the options system,
    /// so they can also be bound from configuration with <c>services.Configure&lt;T&gt;(section)</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureStore">Sets up <see cref="OrderStoreOptions"/>.</param>
    /// <param name="configureRelay">Sets up <see cref="OutboxRelayOptions"/>.</param>
    /// <remarks>A second call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddShardKitOrderStore(
        this IServiceCollection services,
        Action<OrderStoreOptions>? configureStore = null,
        Action<OutboxRelayOptions>? configureRelay = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(OrderStore)))
        {
            return services;
        }

        var store = services.AddOptions<OrderStoreOptions>();
        if (configureStore is not null)
        {
            store.Configure(configureStore);
        }

        var relay = services.AddOptions<OutboxRelayOptions>();
        if (configureRelay is not null)
        {
            relay.Configure(configureRelay);
        }

        services.TryAddSingleton(provider => new OrderStore(
            provider.GetRequiredService<ShardKitDataSource>(),
            provider.GetRequiredService<IOptions<OrderStoreOptions>>().Value,
            provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton(provider => new DimensionVerifier(provider.GetRequiredService<ShardKitDataSource>(), provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton(provider => new OutboxRelay(
            provider.GetRequiredService<OrderStore>(),
            provider.GetRequiredService<IOptions<OutboxRelayOptions>>().Value));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<OutboxRelay>());
        return services;
    }
}
