using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the two-dimension writes (<see cref="TwoDimensionOrderStore"/>, <see cref="OutboxRelay"/>, <see cref="DimensionVerifier"/>).</summary>
public static class TwoDimensionOrderStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="TwoDimensionOrderStore"/> and <see cref="DimensionVerifier"/> over the registered
    /// <see cref="ShardKitDataSource"/> (call <c>AddShardKit</c> too), and a singleton <see cref="OutboxRelay"/> run as a
    /// hosted service. <see cref="TwoDimensionOrderStoreOptions"/> and <see cref="OutboxRelayOptions"/> come from the options system,
    /// so they can also be bound from configuration with <c>services.Configure&lt;T&gt;(section)</c>. When an
    /// <see cref="AlternateKeyStore"/> is registered too (<c>AddAlternateKeyStore</c>), the order store creates orders with
    /// alternate keys through it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureStore">Sets up <see cref="TwoDimensionOrderStoreOptions"/>.</param>
    /// <param name="configureRelay">Sets up <see cref="OutboxRelayOptions"/>.</param>
    /// <remarks>A second call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddTwoDimensionOrderStore(
        this IServiceCollection services,
        Action<TwoDimensionOrderStoreOptions>? configureStore = null,
        Action<OutboxRelayOptions>? configureRelay = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(TwoDimensionOrderStore)))
        {
            return services;
        }

        services.AddValidatedOptions(configureStore);

        services.AddValidatedOptions(configureRelay);

        services.TryAddSingleton(provider => new TwoDimensionOrderStore(
            provider.GetRequiredService<ShardKitDataSource>(),
            provider.GetRequiredService<IOptions<TwoDimensionOrderStoreOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<AlternateKeyStore>()));
        services.TryAddSingleton(provider => new DimensionVerifier(provider.GetRequiredService<ShardKitDataSource>(), provider.GetService<ILoggerFactory>()));
        services.TryAddSingleton(provider => new OutboxRelay(
            provider.GetRequiredService<TwoDimensionOrderStore>(),
            provider.GetRequiredService<IOptions<OutboxRelayOptions>>().Value));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<OutboxRelay>());
        return services;
    }
}
