using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ShardKit.MySqlClient;
using ShardKit.Topology;

namespace ShardKit;

/// <summary>
/// Builds a <see cref="ShardKitDataSource"/> from a topology, choosing the ADO.NET provider that opens
/// the physical connections (one <see cref="DbDataSource"/> pool per endpoint). The default provider is
/// <see cref="MySqlClient.MySqlClientFactory"/>; any other is one line away.
/// </summary>
/// <example>
/// <code>
/// await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit"))
///     .UseProvider(MySqlConnectorFactory.Instance)
///     .Build();
/// </code>
/// </example>
public sealed class ShardKitDataSourceBuilder
{
    private readonly ShardKitOptions? _options;
    private readonly IConfiguration? _configuration;
    private readonly IOptionsMonitor<ShardKitOptions>? _monitor;
    private Func<string, DbDataSource>? _createDataSource;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Starts a builder for a fixed topology.</summary>
    /// <param name="options">The topology; it is validated when <see cref="Build"/> is called.</param>
    public ShardKitDataSourceBuilder(ShardKitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>
    /// Starts a builder for the topology in a configuration section (pass the <c>ShardKit</c> section
    /// itself). When the configuration reloads, the data source switches to the new map if it is valid,
    /// and logs and ignores it otherwise.
    /// </summary>
    /// <param name="configuration">The <c>ShardKit</c> configuration section.</param>
    public ShardKitDataSourceBuilder(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        _configuration = configuration;
    }

    internal ShardKitDataSourceBuilder(IOptionsMonitor<ShardKitOptions> monitor)
    {
        _monitor = monitor;
    }

    /// <summary>
    /// Uses <paramref name="factory"/> to create the pool of each endpoint
    /// (<see cref="DbProviderFactory.CreateDataSource(string)"/>), for example <c>MySqlConnectorFactory.Instance</c>.
    /// The default is <see cref="MySqlClientFactory.Instance"/> (ShardKit.MySqlClient).
    /// </summary>
    /// <param name="factory">The ADO.NET provider factory.</param>
    public ShardKitDataSourceBuilder UseProvider(DbProviderFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _createDataSource = factory.CreateDataSource;
        return this;
    }

    /// <summary>Uses <paramref name="createDataSource"/> to create the pool of each endpoint from its connection string.</summary>
    /// <param name="createDataSource">Called once per physical endpoint with its full connection string.</param>
    public ShardKitDataSourceBuilder UseDataSourceFactory(Func<string, DbDataSource> createDataSource)
    {
        ArgumentNullException.ThrowIfNull(createDataSource);
        _createDataSource = createDataSource;
        return this;
    }

    /// <summary>Logs through <paramref name="loggerFactory"/> (the default logs nothing).</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    public ShardKitDataSourceBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _loggerFactory = loggerFactory;
        return this;
    }

    /// <summary>Takes the time from <paramref name="timeProvider"/> (the default is <see cref="TimeProvider.System"/>).</summary>
    /// <param name="timeProvider">The clock.</param>
    public ShardKitDataSourceBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        return this;
    }

    /// <summary>Validates the topology and builds the data source.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidTopology"/>, naming every bad entry.</exception>
    public ShardKitDataSource Build()
    {
        var createDataSource = _createDataSource ?? MySqlClientFactory.Instance.CreateDataSource;
        var applyDriverDefaults = _createDataSource is null;

        if (_configuration is null)
        {
            return new ShardKitDataSource(_options, _monitor, ownedMonitor: null, createDataSource, applyDriverDefaults, _loggerFactory, _timeProvider);
        }

        var factory = new OptionsFactory<ShardKitOptions>(
            [new NamedConfigureFromConfigurationOptions<ShardKitOptions>(Options.DefaultName, _configuration)],
            [],
            [new ShardKitOptionsValidator(_loggerFactory)]);
        var monitor = new OptionsMonitor<ShardKitOptions>(
            factory,
            [new ConfigurationChangeTokenSource<ShardKitOptions>(_configuration)],
            new OptionsCache<ShardKitOptions>());
        try
        {
            return new ShardKitDataSource(options: null, monitor, monitor, createDataSource, applyDriverDefaults, _loggerFactory, _timeProvider);
        }
        catch
        {
            monitor.Dispose();
            throw;
        }
    }
}
