using MySqlConnector;

namespace ShardKit.Connections;

/// <summary>
/// Creates the MySqlConnector pool (<see cref="MySqlDataSource"/>) of one physical endpoint: ShardKit's short timeouts,
/// pool sizes and TLS from <see cref="ShardKitOptions"/> wherever the endpoint's connection string does not state its own
/// (<c>Connection Timeout</c> from <see cref="EndpointResilienceOptions.ConnectTimeout"/>, <c>Default Command Timeout</c>
/// from <see cref="EndpointResilienceOptions.CommandTimeout"/>; MySqlConnector's own defaults are 15 s and 30 s), the
/// session guard that pins the escaping mode (<see cref="SessionModeGuard"/>), the session statement of a migrator's
/// data source (<see cref="ShardKitDataSourceBuilder.UseMigratorSessions"/>), then the application's own
/// <see cref="ShardKitDataSourceBuilder.ConfigureDataSource"/> callback.
/// </summary>
internal sealed class EndpointDataSourceFactory(Action<MySqlDataSourceBuilder>? configure, string? sessionStatement = null)
{
    /// <summary>The pool of one endpoint, from its connection string with ShardKit's defaults applied (<see cref="ApplyDefaults"/>).</summary>
    public MySqlDataSource Create(string connectionString)
    {
        var builder = new MySqlDataSourceBuilder(connectionString);
        var guard = new SessionModeGuard();
        builder.UseConnectionOpenedCallback(sessionStatement is null ? guard.OnOpenedAsync : async (context, cancellationToken) =>
        {
            await guard.OnOpenedAsync(context, cancellationToken).ConfigureAwait(false);
            if ((context.Conditions & (MySqlConnectionOpenedConditions.New | MySqlConnectionOpenedConditions.Reset)) != 0)
            {
                var command = new MySqlCommand(sessionStatement, context.Connection);
                await using var _ = command.ConfigureAwait(false);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        });
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>The endpoint's connection string with ShardKit's settings added where it states none of its own.</summary>
    public static string ApplyDefaults(string connectionString, EndpointResilienceOptions? resilience, ShardConnectionOptions? connections)
    {
        resilience ??= new EndpointResilienceOptions();
        connections ??= new ShardConnectionOptions();
        var result = new MySqlConnectionStringBuilder(connectionString);
        if (!result.ContainsKey("Connection Timeout"))
        {
            result.ConnectionTimeout = Seconds(resilience.ConnectTimeout);
        }

        if (!result.ContainsKey("Default Command Timeout"))
        {
            result.DefaultCommandTimeout = Seconds(resilience.CommandTimeout);
        }

        if (!result.ContainsKey("Allow User Variables"))
        {
            // ShardKit's own statements (fences, shard moves) set session variables.
            result.AllowUserVariables = true;
        }

        if (!result.ContainsKey("Ignore Command Transaction"))
        {
            // A routed connection hands out its open transaction (ShardConnection.Transaction); a command that omits it
            // still runs in it, as the server sees it, instead of being refused by the driver.
            result.IgnoreCommandTransaction = true;
        }

        if (!result.ContainsKey("Minimum Pool Size"))
        {
            result.MinimumPoolSize = (uint)connections.MinimumPoolSize;
        }

        if (!result.ContainsKey("Maximum Pool Size"))
        {
            result.MaximumPoolSize = (uint)connections.MaximumPoolSize;
        }

        if (!result.ContainsKey("SslMode") && connections.SslMode is { } sslMode)
        {
            result.SslMode = sslMode;
        }

        if (!result.ContainsKey("SslCa") && connections.SslCa is { } ca)
        {
            result.SslCa = ca;
        }

        return result.ConnectionString;
    }

    private static uint Seconds(TimeSpan value) => (uint)Math.Max(1, (int)Math.Ceiling(value.TotalSeconds));
}
