using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ShardKit in a service collection.</summary>
public static class ShardKitServiceCollectionExtensions
{
    /// <summary>The subsection of the <c>ShardKit</c> section that binds <see cref="OrderIdGeneratorOptions"/>.</summary>
    public const string OrderIdsSectionName = "OrderIds";

    /// <summary>
    /// Registers <see cref="ShardKitOptions"/> bound from <paramref name="configuration"/> (the <c>ShardKit</c>
    /// section), validated at start-up and reloaded when the configuration changes, a singleton
    /// <see cref="ShardKitDataSource"/>, and a singleton <see cref="OrderIdGenerator"/> configured from the
    /// <c>OrderIds</c> subsection (see <see cref="AddShardKit(IServiceCollection, Action{ShardKitOptions}, Action{ShardKitDataSourceBuilder}?)"/>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The <c>ShardKit</c> configuration section.</param>
    /// <param name="configureDataSource">Chooses the provider and other data source settings.</param>
    /// <remarks>When ShardKit is already registered, the call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddShardKit(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<ShardKitDataSourceBuilder>? configureDataSource = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        if (IsRegistered(services))
        {
            return services;
        }

        services.AddOptions<ShardKitOptions>().Bind(configuration).ValidateOnStart();
        services.AddOptions<OrderIdGeneratorOptions>().Bind(configuration.GetSection(OrderIdsSectionName)).ValidateOnStart();
        return AddCore(services, configureDataSource);
    }

    /// <summary>
    /// Registers <see cref="ShardKitOptions"/> set up by <paramref name="configureOptions"/>, validated at
    /// start-up, a singleton <see cref="ShardKitDataSource"/> and a singleton <see cref="OrderIdGenerator"/>.
    /// The generator takes its worker ID from a registered <see cref="IWorkerIdLease"/> when there is one,
    /// otherwise from <see cref="OrderIdGeneratorOptions.WorkerId"/>; it is created when first resolved and
    /// throws <see cref="ArgumentException"/> then if neither is given.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configureOptions">Sets up the topology.</param>
    /// <param name="configureDataSource">Chooses the provider and other data source settings.</param>
    /// <remarks>When ShardKit is already registered, the call changes nothing: the first registration wins.</remarks>
    public static IServiceCollection AddShardKit(
        this IServiceCollection services,
        Action<ShardKitOptions> configureOptions,
        Action<ShardKitDataSourceBuilder>? configureDataSource = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureOptions);
        if (IsRegistered(services))
        {
            return services;
        }

        services.AddOptions<ShardKitOptions>().Configure(configureOptions).ValidateOnStart();
        services.AddOptions<OrderIdGeneratorOptions>().ValidateOnStart();
        return AddCore(services, configureDataSource);
    }

    // Like the TryAdd registrations: the first AddShardKit wins, a repeated call changes nothing
    // (binding the section twice would otherwise list every cluster twice).
    private static bool IsRegistered(IServiceCollection services) =>
        services.Any(d => d.ServiceType == typeof(ShardKitDataSource));

    private static IServiceCollection AddCore(IServiceCollection services, Action<ShardKitDataSourceBuilder>? configureDataSource)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ShardKitOptions>, ShardKitOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrderIdGeneratorOptions>>(OptionsValidator<OrderIdGeneratorOptions>.Instance));
        services.AddOptions<OrderIdGeneratorOptions>().Validate<IServiceProviderIsService>(
            (options, registered) => options.WorkerId is null || !registered.IsService(typeof(IWorkerIdLease)),
            $"ShardKit:OrderIds:{nameof(OrderIdGeneratorOptions.WorkerId)} is set and an {nameof(IWorkerIdLease)} is registered: give one or the other.");
        services.TryAddSingleton(provider =>
        {
            var builder = new ShardKitDataSourceBuilder(provider.GetRequiredService<IOptionsMonitor<ShardKitOptions>>())
                .UseLoggerFactory(provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance)
                .UseTimeProvider(provider.GetService<TimeProvider>() ?? TimeProvider.System);
            configureDataSource?.Invoke(builder);
            return builder.Build();
        });
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService, TableModelStartupCheck>();
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetService<IOptions<OrderIdGeneratorOptions>>()?.Value ?? new OrderIdGeneratorOptions();
            var timeProvider = provider.GetService<TimeProvider>();
            return provider.GetService<IWorkerIdLease>() is { } lease
                ? new OrderIdGenerator(lease, options, timeProvider)
                : new OrderIdGenerator(options, timeProvider);
        });
        return services;
    }
}
