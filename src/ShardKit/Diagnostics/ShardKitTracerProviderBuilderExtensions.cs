using ShardKit;

namespace OpenTelemetry.Trace;

/// <summary>ShardKit's spans in an OpenTelemetry tracer provider.</summary>
public static class ShardKitTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to ShardKit's activity source (<see cref="ShardKitTelemetry.ActivitySourceName"/>): a client span per
    /// routed connection, tagged <c>db.system.name</c>, <c>server.address</c>, <c>server.port</c>, <c>db.namespace</c>
    /// and the shard, cluster, endpoint and role. The driver's command spans nest under it.
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The same builder.</returns>
    public static TracerProviderBuilder AddShardKitInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(ShardKitTelemetry.ActivitySourceName);
    }
}
