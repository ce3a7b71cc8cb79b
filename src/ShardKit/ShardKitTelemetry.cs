using System.Reflection;

namespace ShardKit;

/// <summary>
/// The names under which ShardKit publishes its telemetry: one <see cref="System.Diagnostics.ActivitySource"/> (a client
/// span per routed connection) and one <see cref="System.Diagnostics.Metrics.Meter"/> (routing, endpoint, replica,
/// dimension and mapping instruments), both named <c>ShardKit</c> and versioned with the package. With OpenTelemetry:
/// <c>tracing.AddSource(ShardKitTelemetry.ActivitySourceName)</c> and <c>metrics.AddMeter(ShardKitTelemetry.MeterName)</c>.
/// </summary>
public static class ShardKitTelemetry
{
    /// <summary>The name of ShardKit's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "ShardKit";

    /// <summary>The name of ShardKit's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "ShardKit";

    /// <summary>
    /// The version the activity source and the meter carry: the package version (the assembly's informational version
    /// without its build metadata, e.g. <c>1.2.0</c> or <c>1.3.0-alpha.0.4</c>).
    /// </summary>
    public static string Version { get; } = PackageVersion();

    private static string PackageVersion()
    {
        var informational = typeof(ShardKitTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return typeof(ShardKitTelemetry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
