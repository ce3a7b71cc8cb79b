using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the alternate-key mapping layer (<see cref="AlternateKeyStore"/>, <see cref="AlternateKeySweeper"/>).</summary>
public static class AlternateKeyStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="AlternateKeyStore"/> over the registered <see cref="ShardKitDataSource"/> (call
    /// <c>AddShardKit</c> too) and, unless <paramref name="runSweeper"/> is <see langword="false"/>, an
    /// <see cref="AlternateKeySweeper"/> as a hosted service. A <see cref="TwoDimensionOrderStore"/> registered with
    /// <c>AddTwoDimensionOrderStore</c> uses this store for orders created with alternate keys.
    /// <see cref="AlternateKeyStoreOptions"/> come from the options system (bind them with <c>services.Configure&lt;T&gt;(section)</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets up <see cref="AlternateKeyStoreOptions"/>.</param>
    /// <param name="runSweeper">Whether to run the sweeper in this process.</param>
    /// <remarks>A second call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddAlternateKeyStore(this IServiceCollection services, Action<AlternateKeyStoreOptions>? configure = null, bool runSweeper = true)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(AlternateKeyStore)))
        {
            return services;
        }

        services.AddValidatedOptions(configure);

        services.TryAddSingleton(provider => new AlternateKeyStore(
            provider.GetRequiredService<ShardKitDataSource>(),
            provider.GetRequiredService<IOptions<AlternateKeyStoreOptions>>().Value,
            provider.GetService<ILoggerFactory>()));
        if (runSweeper)
        {
            services.TryAddSingleton(provider => new AlternateKeySweeper(provider.GetRequiredService<AlternateKeyStore>()));
            services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<AlternateKeySweeper>());
        }

        return services;
    }
}
