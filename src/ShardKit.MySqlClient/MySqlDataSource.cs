using System.Data.Common;
using ShardKit.MySqlClient.Pooling;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient;

/// <summary>
/// A source of connections to one server with its own connection pool (when <c>Pooling</c> is on). Create it with
/// <see cref="MySqlDataSourceBuilder"/> or from a connection string; dispose it to close its idle connections.
/// </summary>
public sealed class MySqlDataSource : DbDataSource
{
    /// <summary>Creates a data source from a connection string.</summary>
    /// <exception cref="ArgumentException">The connection string has an unknown keyword or an invalid value.</exception>
    public MySqlDataSource(string connectionString)
        : this(new ConnectionSettings(new MySqlConnectionStringBuilder(connectionString ?? throw new ArgumentNullException(nameof(connectionString)))))
    {
    }

    internal MySqlDataSource(ConnectionSettings settings)
    {
        Settings = settings;
        Pool = settings.Pooling ? new ConnectionPool(settings) : null;
    }

    /// <summary>The connection string, without the password unless <c>Persist Security Info=true</c>.</summary>
    public override string ConnectionString => Settings.PersistSecurityInfo ? Settings.NormalizedKey : Settings.RedactedConnectionString;

    internal ConnectionSettings Settings { get; }

    internal ConnectionPool? Pool { get; }

    /// <summary>Creates a closed connection that uses this data source's pool.</summary>
    public new MySqlConnection CreateConnection() => new(this);

    /// <summary>Creates and opens a connection.</summary>
    public new MySqlConnection OpenConnection()
    {
        var connection = CreateConnection();
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Creates and opens a connection asynchronously.</summary>
    public new async ValueTask<MySqlConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        var connection = CreateConnection();
        try
        {
            // The internal ValueTask overload: DbConnection.OpenAsync's Task would be one more allocation per open.
            await connection.OpenAsync(IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a command whose connection is opened when it executes is not supported; use <see cref="OpenConnectionAsync"/>.</summary>
    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => CreateConnection();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Pool?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        Pool?.Dispose();
        return base.DisposeAsyncCore();
    }
}
