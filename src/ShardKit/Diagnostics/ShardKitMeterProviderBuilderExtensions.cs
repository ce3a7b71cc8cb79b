using ShardKit;

namespace OpenTelemetry.Metrics;

/// <summary>ShardKit's instruments in an OpenTelemetry meter provider.</summary>
public static class ShardKitMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to ShardKit's meter (<see cref="ShardKitTelemetry.MeterName"/>): routed operation durations and errors,
    /// replica lag, ejections and fallbacks, endpoint breaker state, connections in use and queue length, dimension lag
    /// and alternate-key cache instruments.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder.</returns>
    public static MeterProviderBuilder AddShardKitInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(ShardKitTelemetry.MeterName);
    }
}
