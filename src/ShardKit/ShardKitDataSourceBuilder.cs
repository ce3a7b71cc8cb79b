using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace ShardKit;

/// <summary>
/// Builds a <see cref="ShardKitDataSource"/> from a topology. Every physical endpoint gets one MySqlConnector pool
/// (<see cref="MySqlDataSource"/>); <see cref="ConfigureDataSource"/> reaches each pool's builder.
/// </summary>
/// <example>
/// <code>
/// await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit"))
///     .UseLoggerFactory(loggerFactory)
///     .Build();
/// </code>
/// </example>
public sealed class ShardKitDataSourceBuilder
{
    private readonly ShardKitOptions? _options;
    private readonly IConfiguration? _configuration;
    private readonly IOptionsMonitor<ShardKitOptions>? _monitor;
    private Action<MySqlDataSourceBuilder>? _configure;
    private string? _sessionStatement;
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
    /// Calls <paramref name="configure"/> on the <see cref="MySqlDataSourceBuilder"/> of every endpoint's pool after ShardKit
    /// has set it up (timeouts, pool sizes and TLS from the options; a session guard), for example to pass MySqlConnector a
    /// logger factory or a client certificate callback.
    /// </summary>
    /// <param name="configure">Called once per physical endpoint.</param>
    public ShardKitDataSourceBuilder ConfigureDataSource(Action<MySqlDataSourceBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configure = configure;
        return this;
    }

    /// <summary>Opens the endpoints with another ADO.NET provider (unit tests' in-memory fakes).</summary>
    internal ShardKitDataSourceBuilder UseProvider(DbProviderFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _createDataSource = factory.CreateDataSource;
        return this;
    }

    /// <summary>Creates each endpoint's pool with <paramref name="createDataSource"/> from its connection string as configured (no ShardKit defaults).</summary>
    internal ShardKitDataSourceBuilder UseDataSourceFactory(Func<string, DbDataSource> createDataSource)
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

    /// <summary>
    /// Marks every session of the data source as the migrator's (<see cref="Migration.MigratorSession.Statement"/>, run when a
    /// connection is new or was reset): the capture triggers of a migration pass its writes untouched. Only for the data source
    /// of <c>shardkit migrate</c>; an application's writes must stay fenced.
    /// </summary>
    internal ShardKitDataSourceBuilder UseMigratorSessions()
    {
        _sessionStatement = Migration.MigratorSession.Statement;
        return this;
    }

    /// <summary>Validates the topology and builds the data source.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidTopology"/>, naming every bad entry.</exception>
    public ShardKitDataSource Build()
    {
        var applyDriverDefaults = _createDataSource is null;
        var createDataSource = _createDataSource ?? new EndpointDataSourceFactory(_configure, _sessionStatement).Create;

        if (_configuration is null)
        {
            return new ShardKitDataSource(_options, _monitor, ownedMonitor: null, createDataSource, applyDriverDefaults, _loggerFactory, _timeProvider) { SessionStatement = _sessionStatement };
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
            return new ShardKitDataSource(options: null, monitor, monitor, createDataSource, applyDriverDefaults, _loggerFactory, _timeProvider) { SessionStatement = _sessionStatement };
        }
        catch
        {
            monitor.Dispose();
            throw;
        }
    }
}
