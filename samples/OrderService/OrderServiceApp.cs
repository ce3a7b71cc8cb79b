using ShardKit;
using ShardKit.Ids;

namespace OrderService;

/// <summary>
/// Builds the order service: ShardKit from configuration, the two-dimension order store with its outbox relay and the
/// alternate-key store with its sweeper (hosted services), the HTTP endpoints, <c>/health</c> (every cluster's primary
/// and replicas) and OpenTelemetry traces and metrics (see <see cref="OrderServiceTelemetry"/>).
/// </summary>
public static class OrderServiceApp
{
    /// <summary>
    /// Builds the application. The <c>ShardKit</c> section (clusters, <c>OrderIds:WorkerId</c>, and <c>Tables</c>: the
    /// sample's own order tables, see <see cref="Storage.ShopTables"/>) comes from
    /// appsettings.json, environment variables, the command line, and the JSON file named by <c>--config</c>
    /// (a topology file written by <c>shardkit dev up --write-config</c>).
    /// </summary>
    /// <param name="args">Command-line arguments, e.g. <c>--config topo.json --urls http://127.0.0.1:5000</c>.</param>
    /// <param name="configure">Adjusts the builder before the services are registered (tests and the demo add configuration and quiet the logs).</param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (builder.Configuration["config"] is { Length: > 0 } topologyFile)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(topologyFile), optional: false, reloadOnChange: true);
        }

        configure?.Invoke(builder);

        builder.Services.AddShardKit(builder.Configuration.GetSection(ShardKitOptions.SectionName));
        builder.Services.AddHealthChecks().AddShardKitHealthChecks();
        builder.AddOrderServiceTelemetry();
        builder.Services.AddTwoDimensionOrderStore();
        builder.Services.AddAlternateKeyStore();
        builder.Services.AddSingleton<OrderStore>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        var app = builder.Build();

        // Fail at start, not at the first order, when no worker ID is configured.
        app.Services.GetRequiredService<OrderIdGenerator>();

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOrderEndpoints();
        app.MapHealthChecks("/health");
        return app;
    }
}
