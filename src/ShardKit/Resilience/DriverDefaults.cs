using System.Globalization;
using ShardKit.MySqlClient;

namespace ShardKit.Resilience;

/// <summary>
/// Gives connection strings of the built-in provider (ShardKit.MySqlClient) ShardKit's short timeouts when they do not set
/// their own: <c>Connection Timeout</c> from <see cref="EndpointResilienceOptions.ConnectTimeout"/> and
/// <c>Default Command Timeout</c> from <see cref="EndpointResilienceOptions.CommandTimeout"/> (the driver's own defaults are 15 s and 30 s).
/// </summary>
internal static class DriverDefaults
{
    public static string Apply(string connectionString, EndpointResilienceOptions? options)
    {
        options ??= new EndpointResilienceOptions();
        var builder = new MySqlConnectionStringBuilder(connectionString);
        var suffix = "";
        if (!builder.ContainsKey("Connection Timeout"))
        {
            suffix += string.Create(CultureInfo.InvariantCulture, $";Connection Timeout={Seconds(options.ConnectTimeout)}");
        }

        if (!builder.ContainsKey("Default Command Timeout"))
        {
            suffix += string.Create(CultureInfo.InvariantCulture, $";Default Command Timeout={Seconds(options.CommandTimeout)}");
        }

        return suffix.Length == 0 ? connectionString : connectionString.TrimEnd(';', ' ') + suffix;
    }

    private static int Seconds(TimeSpan value) => Math.Max(1, (int)Math.Ceiling(value.TotalSeconds));
}
