using System.Collections.Concurrent;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Pooling;

/// <summary>Parsed settings per raw connection string, so opening a pooled connection does not re-parse its string.</summary>
internal static class SettingsCache
{
    private const int MaxEntries = 1024;
    private static readonly ConcurrentDictionary<string, ConnectionSettings> s_settings = new(StringComparer.Ordinal);

    public static ConnectionSettings Get(string connectionString)
    {
        if (s_settings.TryGetValue(connectionString, out var settings))
        {
            return settings;
        }

        settings = new ConnectionSettings(new MySqlConnectionStringBuilder(connectionString));
        if (s_settings.Count < MaxEntries)
        {
            s_settings.TryAdd(connectionString, settings);
        }

        return settings;
    }
}
