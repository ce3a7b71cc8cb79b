namespace ShardKit.MySqlClient.Protocol;

/// <summary>The validated, immutable settings of one connection string.</summary>
internal sealed class ConnectionSettings
{
    public ConnectionSettings(MySqlConnectionStringBuilder builder)
    {
        Host = builder.Server.Trim();
        if (Host.Length == 0)
        {
            throw new ArgumentException("The connection string option 'Server' must name a host.", nameof(builder));
        }

        if (Host.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The connection string option 'Server' names several hosts ('{Host}'); this driver connects to exactly one.", nameof(builder));
        }

        if (builder.Port is 0 or > 65535)
        {
            throw new ArgumentException($"The connection string option 'Port' must be between 1 and 65535, not {builder.Port}.", nameof(builder));
        }

        if (builder.MaximumPoolSize == 0)
        {
            throw new ArgumentException("The connection string option 'Maximum Pool Size' must be at least 1.", nameof(builder));
        }

        if (builder.MinimumPoolSize > builder.MaximumPoolSize)
        {
            throw new ArgumentException($"The connection string option 'Minimum Pool Size' ({builder.MinimumPoolSize}) exceeds 'Maximum Pool Size' ({builder.MaximumPoolSize}).", nameof(builder));
        }

        if (builder.SslMode is MySqlSslMode.VerifyCA or MySqlSslMode.VerifyFull && builder.SslCa.Length > 0 && !File.Exists(builder.SslCa))
        {
            throw new ArgumentException($"The connection string option 'SslCa' names a file that does not exist: '{builder.SslCa}'.", nameof(builder));
        }

        Port = (int)builder.Port;
        User = builder.UserID;
        Password = builder.Password;
        Database = builder.Database;
        Pooling = builder.Pooling;
        MinimumPoolSize = (int)Math.Min(builder.MinimumPoolSize, int.MaxValue);
        MaximumPoolSize = (int)Math.Min(builder.MaximumPoolSize, int.MaxValue);
        ConnectTimeout = builder.ConnectionTimeout == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(builder.ConnectionTimeout);
        DefaultCommandTimeout = (int)Math.Min(builder.DefaultCommandTimeout, int.MaxValue / 1000);
        ConnectionLifetime = builder.ConnectionLifeTime == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(builder.ConnectionLifeTime);
        ConnectionIdleTimeout = TimeSpan.FromSeconds(builder.ConnectionIdleTimeout);
        ConnectionReset = builder.ConnectionReset;
        SslMode = builder.SslMode;
        SslCa = builder.SslCa;
        AllowUserVariables = builder.AllowUserVariables;
        AllowPublicKeyRetrieval = builder.AllowPublicKeyRetrieval;
        ServerRsaPublicKeyFile = builder.ServerRsaPublicKeyFile;
        ApplicationName = builder.ApplicationName;
        UseAffectedRows = builder.UseAffectedRows;
        PersistSecurityInfo = builder.PersistSecurityInfo;
        NormalizedKey = builder.GetNormalizedKey();
        RedactedConnectionString = builder.GetConnectionString(includePassword: false);
    }

    public string Host { get; }

    public int Port { get; }

    public string User { get; }

    public string Password { get; }

    public string Database { get; }

    public bool Pooling { get; }

    public int MinimumPoolSize { get; }

    public int MaximumPoolSize { get; }

    public TimeSpan ConnectTimeout { get; }

    public int DefaultCommandTimeout { get; }

    public TimeSpan ConnectionLifetime { get; }

    public TimeSpan ConnectionIdleTimeout { get; }

    public bool ConnectionReset { get; }

    public MySqlSslMode SslMode { get; }

    public string SslCa { get; }

    public bool AllowUserVariables { get; }

    public bool AllowPublicKeyRetrieval { get; }

    public string ServerRsaPublicKeyFile { get; }

    public string ApplicationName { get; }

    public bool UseAffectedRows { get; }

    public bool PersistSecurityInfo { get; }

    /// <summary>Equal for connection strings with the same meaning; the pool registry's key (contains the password).</summary>
    public string NormalizedKey { get; }

    public string RedactedConnectionString { get; }

    /// <summary>Describes the endpoint for messages (never includes credentials).</summary>
    public string Endpoint => $"{Host}:{Port}";
}
