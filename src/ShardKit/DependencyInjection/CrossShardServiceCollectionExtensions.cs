using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="CrossShardQueryExecutor"/>.</summary>
public static class CrossShardServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="CrossShardQueryExecutor"/> over the registered <see cref="ShardKitDataSource"/>
    /// (call <c>AddShardKit</c> too). <see cref="CrossShardOptions"/> come from the options system, so they can also be
    /// bound from configuration with <c>services.Configure&lt;CrossShardOptions&gt;(section)</c> (the signing key as base64).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets up <see cref="CrossShardOptions"/>.</param>
    /// <remarks>A second call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddCrossShardQueries(this IServiceCollection services, Action<CrossShardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(CrossShardQueryExecutor)))
        {
            return services;
        }

        services.AddValidatedOptions(configure);

        services.TryAddSingleton(provider => new CrossShardQueryExecutor(
            provider.GetRequiredService<ShardKitDataSource>(),
            provider.GetRequiredService<IOptions<CrossShardOptions>>().Value));
        return services;
    }
}
