using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the <see cref="MigratingOrderStore"/> of an application that runs through an online migration.</summary>
public static class MigratingOrderStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="MigratingOrderStore"/> over the registered <see cref="ShardKitDataSource"/> and
    /// <see cref="OrderIdGenerator"/> (call <c>AddShardKit</c> too; its topology must name the legacy database).
    /// <see cref="MigratingOrderStoreOptions"/> come from the options system.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets up <see cref="MigratingOrderStoreOptions"/>.</param>
    /// <remarks>A second call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddMigratingOrderStore(this IServiceCollection services, Action<MigratingOrderStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddValidatedOptions(configure);

        services.TryAddSingleton(provider => new MigratingOrderStore(
            provider.GetRequiredService<ShardKitDataSource>(),
            provider.GetRequiredService<OrderIdGenerator>(),
            provider.GetRequiredService<IOptions<MigratingOrderStoreOptions>>().Value,
            provider.GetService<ILoggerFactory>()));
        return services;
    }
}
