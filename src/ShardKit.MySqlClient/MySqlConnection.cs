using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ShardKit.MySqlClient.Pooling;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient;

/// <summary>
/// A connection to a MySQL or MariaDB server. Pooled by default (one pool per connection string, or the
/// <see cref="MySqlDataSource"/>'s pool); closing returns the server session to the pool after resetting it.
/// </summary>
public sealed class MySqlConnection : DbConnection, ICloneable
{
    // StateChangeEventArgs is immutable: one instance per transition instead of two allocations per open and close.
    private static readonly StateChangeEventArgs s_closedToOpen = new(ConnectionState.Closed, ConnectionState.Open);
    private static readonly StateChangeEventArgs s_openToClosed = new(ConnectionState.Open, ConnectionState.Closed);

    private readonly MySqlDataSource? _dataSource;
    private string _connectionString;
    private ConnectionSettings? _settings;
    private ServerSession? _session;
    private ConnectionPool? _pool;
    private ConnectionState _state;
    private string? _lastCommittedGtid;
    private bool _hasBeenOpened;

    /// <summary>Creates a connection with no connection string.</summary>
    public MySqlConnection()
        : this("")
    {
    }

    /// <summary>Creates a connection from a connection string (validated when set).</summary>
    /// <exception cref="ArgumentException">The connection string has an unknown keyword or an invalid value.</exception>
    public MySqlConnection(string? connectionString)
    {
        _connectionString = "";
        ConnectionString = connectionString;
    }

    internal MySqlConnection(MySqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _connectionString = dataSource.Settings.RedactedConnectionString;
        _settings = dataSource.Settings;
    }

    /// <summary>
    /// The connection string. Once the connection has been opened, the password is left out (also after it closes)
    /// unless <c>Persist Security Info=true</c>.
    /// </summary>
    [AllowNull]
    public override string ConnectionString
    {
        get => _hasBeenOpened && _settings is { PersistSecurityInfo: false } ? _settings.RedactedConnectionString : _connectionString;
        set
        {
            if (_state != ConnectionState.Closed)
            {
                throw new InvalidOperationException("The connection string cannot change while the connection is open.");
            }

            if (_dataSource is not null)
            {
                throw new InvalidOperationException("A connection created by a MySqlDataSource uses the data source's connection string.");
            }

            _connectionString = value ?? "";
            _settings = _connectionString.Length == 0 ? null : SettingsCache.Get(_connectionString);
            _hasBeenOpened = false;
        }
    }

    /// <summary>The current database (tracked from the server when it changes).</summary>
    public override string Database => _session?.CurrentSchema ?? _settings?.Database ?? "";

    /// <summary>The server host.</summary>
    public override string DataSource => _settings?.Host ?? "";

    /// <summary>The server version reported in the handshake (for example <c>10.11.6-MariaDB</c>).</summary>
    public override string ServerVersion => RequireSession().ServerVersion;

    /// <summary>The server's id for this connection (as used by <c>KILL</c> and the process list).</summary>
    public int ServerThread => (int)RequireSession().ConnectionId;

    /// <inheritdoc />
    public override ConnectionState State => _session is { IsBroken: true } ? ConnectionState.Broken : _state;

    /// <summary>Seconds to wait while opening; 0 means no limit.</summary>
    public override int ConnectionTimeout => _settings is null || _settings.ConnectTimeout == Timeout.InfiniteTimeSpan ? 0 : (int)_settings.ConnectTimeout.TotalSeconds;

    /// <summary>
    /// The GTID of the last transaction this connection committed (for example <c>0-1-42</c> on MariaDB), taken from the
    /// server's session-state tracking on the OK packet of the commit: no extra round trip. Null until a write commits.
    /// Kept after the connection closes.
    /// </summary>
    public string? LastCommittedGtid => _session?.LastGtid ?? _lastCommittedGtid;

    /// <summary>Whether the connection is encrypted with TLS.</summary>
    public bool IsEncrypted => RequireSession().IsTls;

    /// <inheritdoc />
    public override bool CanCreateBatch => true;

    /// <inheritdoc />
    protected override DbProviderFactory DbProviderFactory => MySqlClientFactory.Instance;

    internal MySqlDataReader? ActiveReader { get; set; }

    internal MySqlTransaction? CurrentTransaction { get; set; }

    internal ConnectionSettings Settings => _settings ?? throw new InvalidOperationException("The connection has no connection string.");

    /// <inheritdoc />
    public override void Open() => OpenAsync(IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <inheritdoc />
    public override Task OpenAsync(CancellationToken cancellationToken) => OpenAsync(IOBehavior.Asynchronous, cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Close() => CloseAsync(IOBehavior.Synchronous).GetCompletedResult();

    /// <inheritdoc />
    public override Task CloseAsync() => CloseAsync(IOBehavior.Asynchronous).AsTask();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await CloseAsync(IOBehavior.Asynchronous).ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }

        base.Dispose(disposing);
    }

    /// <summary>Sends COM_PING; false when the server does not answer (the connection is then broken).</summary>
    public bool Ping() => _session is not null && _session.TryPingAsync(IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <summary>Sends COM_PING; false when the server does not answer (the connection is then broken).</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default) =>
        _session is not null && await _session.TryPingAsync(IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override void ChangeDatabase(string databaseName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseName);
        using var command = new MySqlCommand("USE `" + databaseName.Replace("`", "``", StringComparison.Ordinal) + "`", this);
        command.ExecuteNonQuery();
    }

    /// <summary>Begins a transaction with the server's default isolation level.</summary>
    public new MySqlTransaction BeginTransaction() => BeginTransaction(IsolationLevel.Unspecified);

    /// <summary>Begins a transaction.</summary>
    public new MySqlTransaction BeginTransaction(IsolationLevel isolationLevel) =>
        BeginTransactionAsync(isolationLevel, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <summary>Begins a transaction asynchronously.</summary>
    public new async ValueTask<MySqlTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default) =>
        await BeginTransactionAsync(IsolationLevel.Unspecified, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false);

    /// <summary>Begins a transaction asynchronously.</summary>
    public new async ValueTask<MySqlTransaction> BeginTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken = default) =>
        await BeginTransactionAsync(isolationLevel, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => BeginTransaction(isolationLevel);

    /// <inheritdoc />
    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken) =>
        await BeginTransactionAsync(isolationLevel, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false);

    /// <summary>Creates a command on this connection.</summary>
    public new MySqlCommand CreateCommand() => new() { Connection = this };

    /// <inheritdoc />
    protected override DbCommand CreateDbCommand() => CreateCommand();

    /// <summary>Creates a batch on this connection.</summary>
    public new MySqlBatch CreateBatch() => new() { Connection = this };

    /// <inheritdoc />
    protected override DbBatch CreateDbBatch() => CreateBatch();

    /// <summary>Creates a closed connection with the same connection string.</summary>
    public MySqlConnection Clone() => _dataSource is not null ? new MySqlConnection(_dataSource) : new MySqlConnection(_connectionString);

    object ICloneable.Clone() => Clone();

    /// <summary>Closes the idle pooled connections of a connection's pool; connections in use close when returned.</summary>
    public static void ClearPool(MySqlConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection._dataSource is not null)
        {
            connection._dataSource.Pool?.Clear();
        }
        else if (connection._settings is not null)
        {
            PoolRegistry.Clear(connection._settings);
        }
    }

    /// <summary>Closes the idle connections of every connection-string pool in the process.</summary>
    public static void ClearAllPools() => PoolRegistry.ClearAll();

    internal ServerSession RequireSession() =>
        _session ?? throw new InvalidOperationException("The connection is not open.");

    /// <summary>The session for a new command: open, no active reader.</summary>
    internal ServerSession GetSessionForCommand()
    {
        var session = RequireSession();
        if (ActiveReader is not null)
        {
            throw new InvalidOperationException("This connection already has an open MySqlDataReader; close it before executing another command.");
        }

        if (session.IsBroken)
        {
            throw new MySqlException(MySqlErrorCode.ConnectionLost, null, "The connection was lost or closed after an earlier failure; close it and open a new one.");
        }

        return session;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask OpenAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        if (_state != ConnectionState.Closed)
        {
            throw new InvalidOperationException($"The connection cannot be opened because it is {_state}.");
        }

        var settings = Settings;
        _state = ConnectionState.Connecting;
        try
        {
            _pool = _dataSource is not null ? _dataSource.Pool : settings.Pooling ? PoolRegistry.GetOrCreate(settings) : null;
            _session = _pool is not null
                ? await _pool.RentAsync(io, cancellationToken).ConfigureAwait(false)
                : await ServerSession.ConnectAsync(settings, initializeSession: true, io, cancellationToken).ConfigureAwait(false);
            _session.ForgetLastGtid();
            _lastCommittedGtid = null;
            _hasBeenOpened = true;
            _state = ConnectionState.Open;
        }
        catch
        {
            _state = ConnectionState.Closed;
            _session = null;
            throw;
        }

        OnStateChange(s_closedToOpen);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CloseAsync(IOBehavior io)
    {
        var session = _session;
        if (session is null)
        {
            return;
        }

        try
        {
            if (ActiveReader is { } reader)
            {
                try
                {
                    await reader.CloseAsync(io).ConfigureAwait(false);
                }
                catch (MySqlException)
                {
                    session.MarkBroken();
                }
            }

            if (CurrentTransaction is { } transaction)
            {
                session.MarkDirty();
                if (_pool is null || !session.Settings.ConnectionReset)
                {
                    await transaction.RollbackIfOpenAsync(io).ConfigureAwait(false);
                }

                transaction.Detach();
            }
        }
        finally
        {
            _lastCommittedGtid = session.LastGtid;
            _session = null;
            ActiveReader = null;
            CurrentTransaction = null;
            _state = ConnectionState.Closed;
            if (_pool is not null)
            {
                await _pool.ReturnAsync(session, io).ConfigureAwait(false);
            }
            else
            {
                await session.CloseAsync(io).ConfigureAwait(false);
            }

            _pool = null;
            OnStateChange(s_openToClosed);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MySqlTransaction> BeginTransactionAsync(IsolationLevel isolationLevel, IOBehavior io, CancellationToken cancellationToken)
    {
        if (CurrentTransaction is not null)
        {
            throw new InvalidOperationException("The connection already has a transaction; MySQL does not nest transactions.");
        }

        var sql = isolationLevel switch
        {
            IsolationLevel.Unspecified => "START TRANSACTION",
            IsolationLevel.ReadUncommitted => "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED; START TRANSACTION",
            IsolationLevel.ReadCommitted => "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; START TRANSACTION",
            IsolationLevel.RepeatableRead => "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION",
            IsolationLevel.Serializable => "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; START TRANSACTION",
            IsolationLevel.Snapshot => "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; START TRANSACTION WITH CONSISTENT SNAPSHOT",
            _ => throw new ArgumentException($"Isolation level {isolationLevel} is not supported by MySQL; use ReadUncommitted, ReadCommitted, RepeatableRead, Serializable, Snapshot or Unspecified.", nameof(isolationLevel)),
        };

        await ExecuteInternalAsync(sql, io, cancellationToken).ConfigureAwait(false);
        var transaction = new MySqlTransaction(this, isolationLevel);
        CurrentTransaction = transaction;
        return transaction;
    }

    /// <summary>Runs a statement that returns no rows (transaction control), with the default command timeout.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask ExecuteInternalAsync(string sql, IOBehavior io, CancellationToken cancellationToken)
    {
        using var command = new MySqlCommand(sql, this);
        await command.ExecuteNonQueryAsync(io, cancellationToken).ConfigureAwait(false);
    }
}
