namespace ShardKit.Topology;

/// <summary>
/// A physical MySQL/MariaDB server the map routes to. It never exposes the password:
/// <see cref="ToString"/> is <c>host:port</c> and <see cref="RedactedConnectionString"/> masks it.
/// </summary>
public sealed class ShardEndpoint
{
    internal ShardEndpoint(string host, int port, string? userId, string? database, string connectionString, string redactedConnectionString)
    {
        Host = host;
        Port = port;
        UserId = userId;
        Database = database;
        ConnectionString = connectionString;
        RedactedConnectionString = redactedConnectionString;
        Address = string.Concat(host, ":", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The server host name or address.</summary>
    public string Host { get; }

    /// <summary>The TCP port (3306 when the connection string does not name one).</summary>
    public int Port { get; }

    /// <summary>The user name the connection string logs in with, if any.</summary>
    public string? UserId { get; }

    /// <summary>The default database of the connection string, if any (routed SQL never relies on it).</summary>
    public string? Database { get; }

    /// <summary><c>host:port</c>, the endpoint's identity on the network.</summary>
    public string Address { get; }

    /// <summary>The connection string with its password replaced by <c>***</c>, safe to print and log.</summary>
    public string RedactedConnectionString { get; }

    /// <summary>The full connection string, password included; never printed.</summary>
    internal string ConnectionString { get; }

    /// <summary>Returns <see cref="Address"/> (<c>host:port</c>).</summary>
    public override string ToString() => Address;
}
