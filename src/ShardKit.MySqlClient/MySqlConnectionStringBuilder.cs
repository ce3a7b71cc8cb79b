using System.Collections.Frozen;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ShardKit.MySqlClient;

/// <summary>
/// Builds and parses connection strings using MySqlConnector's keywords and synonyms, so configuration moves
/// between the two drivers unchanged. Unknown keywords and invalid values throw <see cref="ArgumentException"/>.
/// </summary>
[SuppressMessage("Design", "CA1010:Generic interface should also be implemented", Justification = "DbConnectionStringBuilder's shape is fixed by ADO.NET.")]
public sealed class MySqlConnectionStringBuilder : DbConnectionStringBuilder
{
    private enum Kind
    {
        Text,
        Boolean,
        Number,
        SslMode,
    }

    private sealed record Option(string Name, Kind Kind, object Default, string[] Synonyms);

    private static readonly Option[] s_options =
    [
        new("Server", Kind.Text, "localhost", ["Host", "Data Source", "DataSource", "Address", "Addr", "Network Address"]),
        new("Port", Kind.Number, 3306u, []),
        new("User ID", Kind.Text, "", ["UserID", "Username", "Uid", "User", "User name"]),
        new("Password", Kind.Text, "", ["Pwd"]),
        new("Database", Kind.Text, "", ["Initial Catalog"]),
        new("Pooling", Kind.Boolean, true, []),
        new("Minimum Pool Size", Kind.Number, 0u, ["Min Pool Size", "MinimumPoolSize", "MinPoolSize"]),
        new("Maximum Pool Size", Kind.Number, 100u, ["Max Pool Size", "MaximumPoolSize", "MaxPoolSize"]),
        new("Connection Timeout", Kind.Number, 15u, ["Connect Timeout", "ConnectionTimeout", "ConnectTimeout"]),
        new("Default Command Timeout", Kind.Number, 30u, ["Command Timeout", "DefaultCommandTimeout", "CommandTimeout"]),
        new("Connection Lifetime", Kind.Number, 0u, ["ConnectionLifeTime", "Load Balance Timeout"]),
        new("Connection Idle Timeout", Kind.Number, 180u, ["ConnectionIdleTimeout"]),
        new("Connection Reset", Kind.Boolean, true, ["ConnectionReset"]),
        new("SslMode", Kind.SslMode, MySqlSslMode.Preferred, ["Ssl Mode", "Ssl-Mode"]),
        new("SslCa", Kind.Text, "", ["Ssl-Ca", "CA Certificate File", "CACertificateFile"]),
        new("Allow User Variables", Kind.Boolean, false, ["AllowUserVariables"]),
        new("Allow Public Key Retrieval", Kind.Boolean, false, ["AllowPublicKeyRetrieval"]),
        new("Server RSA Public Key File", Kind.Text, "", ["ServerRSAPublicKeyFile"]),
        new("Application Name", Kind.Text, "", ["ApplicationName"]),
        new("Persist Security Info", Kind.Boolean, false, ["PersistSecurityInfo"]),
        new("Use Affected Rows", Kind.Boolean, false, ["UseAffectedRows"]),
    ];

    private static readonly FrozenDictionary<string, Option> s_byKeyword = BuildKeywordMap();

    /// <summary>Creates an empty builder (every option at its default).</summary>
    public MySqlConnectionStringBuilder()
    {
    }

    /// <summary>Creates a builder from a connection string.</summary>
    /// <exception cref="ArgumentException">A keyword is unknown or a value is invalid.</exception>
    public MySqlConnectionStringBuilder(string? connectionString)
    {
        ConnectionString = connectionString ?? "";
    }

    /// <summary>The server host name or IP address (<c>Server</c>, <c>Host</c>, <c>Data Source</c>).</summary>
    public string Server { get => GetText("Server"); set => this["Server"] = value; }

    /// <summary>The TCP port (<c>Port</c>, default 3306).</summary>
    public uint Port { get => GetNumber("Port"); set => this["Port"] = value; }

    /// <summary>The user name (<c>User ID</c>, <c>UserID</c>, <c>Username</c>, <c>Uid</c>, <c>User</c>).</summary>
    public string UserID { get => GetText("User ID"); set => this["User ID"] = value; }

    /// <summary>The password (<c>Password</c>, <c>Pwd</c>). Never included in <see cref="ToString"/> unless <see cref="PersistSecurityInfo"/> is set.</summary>
    public string Password { get => GetText("Password"); set => this["Password"] = value; }

    /// <summary>The default database (<c>Database</c>, <c>Initial Catalog</c>).</summary>
    public string Database { get => GetText("Database"); set => this["Database"] = value; }

    /// <summary>Whether connections are pooled (<c>Pooling</c>, default true).</summary>
    public bool Pooling { get => GetBoolean("Pooling"); set => this["Pooling"] = value; }

    /// <summary>The number of idle connections pruning keeps open (<c>Minimum Pool Size</c>, default 0).</summary>
    public uint MinimumPoolSize { get => GetNumber("Minimum Pool Size"); set => this["Minimum Pool Size"] = value; }

    /// <summary>The most connections the pool opens (<c>Maximum Pool Size</c>, default 100).</summary>
    public uint MaximumPoolSize { get => GetNumber("Maximum Pool Size"); set => this["Maximum Pool Size"] = value; }

    /// <summary>Seconds to wait for a connection to open or for a pooled connection to be free (<c>Connection Timeout</c>, default 15).</summary>
    public uint ConnectionTimeout { get => GetNumber("Connection Timeout"); set => this["Connection Timeout"] = value; }

    /// <summary>Default <see cref="MySqlCommand.CommandTimeout"/> in seconds, 0 for none (<c>Default Command Timeout</c>, default 30).</summary>
    public uint DefaultCommandTimeout { get => GetNumber("Default Command Timeout"); set => this["Default Command Timeout"] = value; }

    /// <summary>Seconds after which a connection is closed instead of returned to the pool, 0 for no limit (<c>Connection Lifetime</c>).</summary>
    public uint ConnectionLifeTime { get => GetNumber("Connection Lifetime"); set => this["Connection Lifetime"] = value; }

    /// <summary>Seconds a pooled connection may stay idle before it is closed (<c>Connection Idle Timeout</c>, default 180).</summary>
    public uint ConnectionIdleTimeout { get => GetNumber("Connection Idle Timeout"); set => this["Connection Idle Timeout"] = value; }

    /// <summary>Whether a connection's session state is reset when it returns to the pool (<c>Connection Reset</c>, default true).</summary>
    public bool ConnectionReset { get => GetBoolean("Connection Reset"); set => this["Connection Reset"] = value; }

    /// <summary>TLS usage (<c>SslMode</c>, <c>Ssl Mode</c>, default Preferred).</summary>
    public MySqlSslMode SslMode { get => GetSslMode(); set => this["SslMode"] = value; }

    /// <summary>Path of a PEM or DER CA certificate the server certificate must chain to (<c>SslCa</c>).</summary>
    public string SslCa { get => GetText("SslCa"); set => this["SslCa"] = value; }

    /// <summary>Whether <c>@name</c> tokens without a matching parameter are left for the server as user variables (<c>Allow User Variables</c>).</summary>
    public bool AllowUserVariables { get => GetBoolean("Allow User Variables"); set => this["Allow User Variables"] = value; }

    /// <summary>Whether caching_sha2_password may fetch the server's RSA key over an unencrypted connection (<c>Allow Public Key Retrieval</c>).</summary>
    public bool AllowPublicKeyRetrieval { get => GetBoolean("Allow Public Key Retrieval"); set => this["Allow Public Key Retrieval"] = value; }

    /// <summary>Path of the server's RSA public key (PEM) for caching_sha2_password over unencrypted connections (<c>Server RSA Public Key File</c>).</summary>
    public string ServerRsaPublicKeyFile { get => GetText("Server RSA Public Key File"); set => this["Server RSA Public Key File"] = value; }

    /// <summary>The program name sent as a connection attribute (<c>Application Name</c>).</summary>
    public string ApplicationName { get => GetText("Application Name"); set => this["Application Name"] = value; }

    /// <summary>Whether the password is kept in <see cref="ToString"/> and in an open connection's connection string (<c>Persist Security Info</c>).</summary>
    public bool PersistSecurityInfo { get => GetBoolean("Persist Security Info"); set => this["Persist Security Info"] = value; }

    /// <summary>Whether affected-row counts report changed rows rather than matched rows (<c>Use Affected Rows</c>).</summary>
    public bool UseAffectedRows { get => GetBoolean("Use Affected Rows"); set => this["Use Affected Rows"] = value; }

    /// <summary>Gets or sets an option by any of its keywords.</summary>
    /// <exception cref="ArgumentException">The keyword is unknown or the value is invalid for it.</exception>
    [AllowNull]
    public override object this[string keyword]
    {
        get
        {
            var option = Find(keyword);
            return base.TryGetValue(option.Name, out var value) ? Convert(option, value!) : option.Default;
        }
        set
        {
            var option = Find(keyword);
            if (value is null)
            {
                base.Remove(option.Name);
            }
            else
            {
                base[option.Name] = Convert(option, value);
            }
        }
    }

    /// <inheritdoc />
    public override bool ContainsKey(string keyword) => s_byKeyword.TryGetValue(keyword, out var option) && base.ContainsKey(option.Name);

    /// <inheritdoc />
    public override bool Remove(string keyword) => s_byKeyword.TryGetValue(keyword, out var option) && base.Remove(option.Name);

    /// <inheritdoc />
    public override bool TryGetValue(string keyword, [NotNullWhen(true)] out object? value)
    {
        if (!s_byKeyword.TryGetValue(keyword, out var option))
        {
            value = null;
            return false;
        }

        value = this[option.Name];
        return true;
    }

    /// <inheritdoc />
    public override bool ShouldSerialize(string keyword) => ContainsKey(keyword);

    /// <summary>Returns the connection string, with the password only when <paramref name="includePassword"/> is set.</summary>
    public string GetConnectionString(bool includePassword)
    {
        if (includePassword || !ContainsKey("Password"))
        {
            return ConnectionString;
        }

        var copy = new MySqlConnectionStringBuilder(ConnectionString);
        copy.Remove("Password");
        return copy.ConnectionString;
    }

    /// <summary>The connection string without the password unless <see cref="PersistSecurityInfo"/> is set.</summary>
    public override string ToString() => GetConnectionString(PersistSecurityInfo);

    /// <summary>A key that is equal for connection strings that mean the same thing (canonical keywords, sorted).</summary>
    internal string GetNormalizedKey()
    {
        var parts = new List<string>();
        foreach (var option in s_options)
        {
            if (base.TryGetValue(option.Name, out var value))
            {
                parts.Add(option.Name + "=" + System.Convert.ToString(value, CultureInfo.InvariantCulture));
            }
        }

        return string.Join(";", parts);
    }

    private static Option Find(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return s_byKeyword.TryGetValue(keyword.Trim(), out var option)
            ? option
            : throw new ArgumentException($"The connection string option '{keyword}' is not supported. Supported options: {string.Join(", ", s_options.Select(static o => o.Name))}.", nameof(keyword));
    }

    private static object Convert(Option option, object value)
    {
        switch (option.Kind)
        {
            case Kind.Text:
                return System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            case Kind.Boolean:
                if (value is bool b)
                {
                    return b;
                }

                return (System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "").Trim().ToUpperInvariant() switch
                {
                    "TRUE" or "YES" or "ON" or "1" => true,
                    "FALSE" or "NO" or "OFF" or "0" => false,
                    _ => throw BadValue(option, value, "true or false"),
                };
            case Kind.Number:
                if (value is uint u)
                {
                    return u;
                }

                if (value is int i and >= 0)
                {
                    return (uint)i;
                }

                return uint.TryParse(System.Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : throw BadValue(option, value, "a whole number of 0 or more");
            default:
                if (value is MySqlSslMode mode && Enum.IsDefined(mode))
                {
                    return mode;
                }

                var text = (System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? "").Trim();
                return Enum.TryParse<MySqlSslMode>(text, ignoreCase: true, out var sslMode) && Enum.IsDefined(sslMode) && !text.Any(char.IsDigit)
                    ? sslMode
                    : throw BadValue(option, value, "None, Preferred, Required, VerifyCA or VerifyFull");
        }
    }

    private static ArgumentException BadValue(Option option, object value, string allowed) =>
        new($"The connection string option '{option.Name}' has the invalid value '{value}'; expected {allowed}.", option.Name);

    private string GetText(string name) => (string)this[name];

    private uint GetNumber(string name) => (uint)this[name];

    private bool GetBoolean(string name) => (bool)this[name];

    private MySqlSslMode GetSslMode() => (MySqlSslMode)this["SslMode"];

    private static FrozenDictionary<string, Option> BuildKeywordMap()
    {
        var map = new Dictionary<string, Option>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in s_options)
        {
            map.Add(option.Name, option);
            foreach (var synonym in option.Synonyms)
            {
                map.Add(synonym, option);
            }
        }

        return map.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
