using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace OrderService;

/// <summary>
/// OpenTelemetry for the service: traces and metrics of ASP.NET Core, ShardKit and MySqlConnector (whose command spans nest
/// under ShardKit's connection spans). <c>Telemetry:Exporter</c> chooses where they go: <c>console</c> (the default),
/// <c>otlp</c> (to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, default <c>http://localhost:4317</c>), or <c>none</c>.
/// </summary>
public static class OrderServiceTelemetry
{
    /// <summary>The activity sources and meters the service exports.</summary>
    public static readonly string[] Sources = ["ShardKit", "MySqlConnector"];

    /// <summary>Registers OpenTelemetry with the exporter named by <c>Telemetry:Exporter</c>.</summary>
    /// <param name="builder">The application builder.</param>
    public static WebApplicationBuilder AddOrderServiceTelemetry(this WebApplicationBuilder builder)
    {
        var exporter = builder.Configuration["Telemetry:Exporter"] ?? "console";
        if (exporter is not ("console" or "otlp" or "none"))
        {
            throw new InvalidOperationException($"Telemetry:Exporter is '{exporter}'; it must be console, otlp or none.");
        }

        if (exporter == "none")
        {
            return builder;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("OrderService"))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddSource(Sources);
                _ = exporter == "otlp" ? tracing.AddOtlpExporter() : tracing.AddConsoleExporter();
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter(Sources);
                _ = exporter == "otlp" ? metrics.AddOtlpExporter() : metrics.AddConsoleExporter();
            });
        return builder;
    }
}
