using System.Data.Common;
using System.Globalization;

namespace ShardKit.Topology;

/// <summary>Reads the parts of a MySQL connection string the map needs, and redacts its password.</summary>
internal static class ConnectionStrings
{
    private static readonly string[] s_hostKeys = ["Server", "Host", "Data Source", "DataSource", "Address", "Addr", "Network Address"];
    private static readonly string[] s_portKeys = ["Port"];
    private static readonly string[] s_userKeys = ["User ID", "UserID", "Uid", "User", "Username", "User name"];
    private static readonly string[] s_passwordKeys = ["Password", "Pwd"];
    private static readonly string[] s_databaseKeys = ["Database", "Initial Catalog"];

    public const int DefaultPort = 3306;

    /// <summary>Parses <paramref name="connectionString"/>; on failure <paramref name="error"/> says why, without quoting it.</summary>
    public static bool TryParse(string? connectionString, out ShardEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            error = "is empty";
            return false;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            // The exception message may quote the text, and with it the password: never pass it on.
            error = "cannot be parsed (expected key=value pairs separated by ';')";
            return false;
        }

        var host = Find(builder, s_hostKeys);
        if (string.IsNullOrWhiteSpace(host))
        {
            error = "has no Server";
            return false;
        }

        var port = DefaultPort;
        var portText = Find(builder, s_portKeys);
        if (portText is not null &&
            (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"has Port '{portText}', which is not a number from 1 to 65535";
            return false;
        }

        endpoint = new ShardEndpoint(
            host.Trim(),
            port,
            Find(builder, s_userKeys),
            Find(builder, s_databaseKeys),
            connectionString,
            Redact(builder));
        error = null;
        return true;
    }

    /// <summary>Returns <paramref name="connectionString"/> with any password replaced by <c>***</c>.</summary>
    public static string Redact(string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }

        return Redact(builder);
    }

    private static string Redact(DbConnectionStringBuilder builder)
    {
        foreach (var key in s_passwordKeys)
        {
            if (builder.ContainsKey(key))
            {
                builder[key] = "***";
            }
        }

        return builder.ConnectionString;
    }

    private static string? Find(DbConnectionStringBuilder builder, string[] keys)
    {
        foreach (var key in keys)
        {
            if (builder.TryGetValue(key, out var value) && value is not null)
            {
                return Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}
