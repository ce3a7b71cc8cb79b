using MySqlConnector;

namespace ShardKit.Connections;

/// <summary>
/// Driver settings given to every physical endpoint's MySqlConnector pool, the <c>Connections</c> subsection of
/// <see cref="ShardKitOptions"/>. A setting an endpoint's connection string states itself wins over these.
/// </summary>
public sealed class ShardConnectionOptions
{
    /// <summary>Sessions each endpoint's pool keeps open when idle (0 to 1,000). Default 0.</summary>
    public int MinimumPoolSize { get; set; }

    /// <summary>Sessions each endpoint's pool may open (1 to 10,000). Default 100, MySqlConnector's own default.</summary>
    public int MaximumPoolSize { get; set; } = 100;

    /// <summary>
    /// TLS for every endpoint whose connection string sets no <c>SslMode</c>; null (the default) leaves MySqlConnector's
    /// default, <see cref="MySqlSslMode.Preferred"/>, which falls back to plain text silently. Production estates should set
    /// <see cref="MySqlSslMode.VerifyCA"/> with <see cref="SslCa"/>, or <see cref="MySqlSslMode.VerifyFull"/>.
    /// </summary>
    public MySqlSslMode? SslMode { get; set; }

    /// <summary>The path of the PEM file holding the CA certificate(s) that sign the servers' certificates, for every endpoint whose connection string sets no <c>SslCa</c>.</summary>
    public string? SslCa { get; set; }
}
