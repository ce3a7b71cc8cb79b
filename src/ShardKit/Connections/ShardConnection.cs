using System.Data;
using System.Data.Common;
using System.Diagnostics;

namespace ShardKit.Connections;

/// <summary>
/// An open connection to one logical shard's physical server (its primary, or for reads possibly a replica:
/// see <see cref="Endpoint"/>), with the shard's physical names at hand.
/// Use <see cref="Connection"/> directly (with Dapper, for example) and write SQL through <see cref="Sql"/>
/// so that <c>{orders}</c>, <c>{order_items}</c> and <c>{schema}</c> become the shard's qualified names
/// without a <c>USE</c> round trip. Dispose it to return the connection to its pool.
/// </summary>
public sealed class ShardConnection : IAsyncDisposable
{
    private readonly AmbientContext _ambient;
    private readonly ShardSlot _slot;
    private readonly ShardTransaction? _enlistedIn;
    private readonly ConnectionLease? _lease;
    private ShardTransaction? _transaction;
    private bool _disposed;

    internal ShardConnection(
        AmbientContext ambient, ShardSlot slot, ShardEndpoint endpoint, DbConnection connection, ShardIntent intent, ShardTransaction? enlistedIn, ConnectionLease? lease = null)
    {
        _lease = lease;
        _ambient = ambient;
        _slot = slot;
        Endpoint = endpoint;
        Connection = connection;
        Intent = intent;
        _enlistedIn = enlistedIn;
    }

    /// <summary>The open ADO.NET connection. Pass <see cref="Transaction"/> with every command while one is open.</summary>
    public DbConnection Connection { get; }

    /// <summary>The shard this connection is routed to.</summary>
    public ShardRoute Route => new(_slot);

    /// <summary>The physical schema of the shard (unquoted).</summary>
    public string Schema => _slot.Schema;

    /// <summary>The intent the connection was opened with.</summary>
    public ShardIntent Intent { get; }

    /// <summary>The physical server the connection is open on: the cluster's primary or one of its replicas.</summary>
    public ShardEndpoint Endpoint { get; }

    /// <summary>Whether the connection is open on one of the cluster's replicas (and so may read slightly stale data).</summary>
    public bool IsReplica =>
        !ReferenceEquals(Endpoint, _slot.Cluster.Primary) && !string.Equals(Endpoint.ConnectionString, _slot.Cluster.Primary.ConnectionString, StringComparison.Ordinal);

    /// <summary>
    /// A token for the last write this connection committed on the primary, to pass to a later read so that it sees that
    /// write (<see cref="ReadOptions.CausalToken"/> of <see cref="ShardKitDataSource.OpenAsync(ShardRoute, ReadOptions, CancellationToken)"/> and
    /// the other routed reads). Costs one round trip on the same session (MariaDB's <c>@@last_gtid</c>, MySQL's
    /// <c>@@GLOBAL.gtid_executed</c>), so ask for it only when a read will need it; inside a
    /// <see cref="ShardKitDataSource.ReadYourWrites"/> scope ShardKit asks for it itself when a write connection is disposed.
    /// Null on replicas and before this session has committed a write.
    /// </summary>
    /// <param name="cancellationToken">Cancels the round trip.</param>
    public async ValueTask<CausalToken?> GetCausalTokenAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (IsReplica)
        {
            return null;
        }

        return await GtidDialect.ReadLastCommittedGtidAsync(Connection, cancellationToken).ConfigureAwait(false) is { } gtid
            ? new CausalToken(_slot.Cluster.Name, gtid)
            : null;
    }

    /// <summary>
    /// The open ShardKit transaction this connection takes part in, if any: one begun on it, or the one
    /// open on the current async flow when this connection was routed into the same shard.
    /// </summary>
    public DbTransaction? Transaction =>
        _transaction is { IsActive: true } own ? own.DbTransaction
        : _enlistedIn is { IsActive: true } enlisted ? enlisted.DbTransaction
        : null;

    /// <summary>
    /// Expands a SQL template for this shard: <c>{orders}</c> and <c>{order_items}</c> become
    /// <c>`schema`.`orders`</c> and <c>`schema`.`order_items`</c>, <c>{schema}</c> becomes <c>`schema`</c>;
    /// other text is unchanged. Expansions are cached per template and shard, so repeated calls with the
    /// same template string do not allocate.
    /// </summary>
    /// <param name="template">The SQL text with placeholders.</param>
    public string Sql(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return _slot.ExpandSql(template);
    }

    /// <summary>
    /// Begins a transaction bound to this shard. Until it is committed, rolled back or disposed, routing
    /// into another shard on the same async flow throws <see cref="ShardKitException"/>
    /// (<see cref="ShardKitErrorCode.CrossShardTransaction"/>); routing into the same shard hands out this
    /// connection and transaction again.
    /// </summary>
    /// <param name="cancellationToken">Cancels beginning the transaction.</param>
    public ValueTask<ShardTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default) =>
        BeginTransactionAsync(IsolationLevel.Unspecified, cancellationToken);

    /// <summary>Begins a transaction bound to this shard with an isolation level; see <see cref="BeginTransactionAsync(CancellationToken)"/>.</summary>
    /// <param name="isolationLevel">The isolation level, or <see cref="IsolationLevel.Unspecified"/> for REPEATABLE READ (InnoDB's default; MySqlConnector sets it explicitly).</param>
    /// <param name="cancellationToken">Cancels beginning the transaction.</param>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard.</exception>
    /// <exception cref="InvalidOperationException">A transaction is already open on this shard.</exception>
    public ValueTask<ShardTransaction> BeginTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken = default)
    {
        if (IsReplica)
        {
            throw new InvalidOperationException(
                $"This connection to shard {_slot.Name} is open on replica {Endpoint.Address}: a read-write transaction needs the primary " +
                "(open with ShardIntent.Write or ReadPreference.Primary), or use BeginReadOnlyTransactionAsync.");
        }

        return Begin(isolationLevel, readOnly: false, cancellationToken);
    }

    /// <summary>
    /// Begins a read-only transaction (<c>SET TRANSACTION READ ONLY</c>, then the provider's begin) bound to this shard: a
    /// consistent view over several statements, which a replica can serve (open the connection with
    /// <see cref="ReadPreference.PreferReplica"/> or <see cref="ReadPreference.ReplicaOnly"/>). The server refuses writes in it,
    /// and while it is open, routing a write into the shard on the same async flow throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="isolationLevel">The isolation level, or <see cref="IsolationLevel.Unspecified"/> for REPEATABLE READ (InnoDB's default; MySqlConnector sets it explicitly).</param>
    /// <param name="cancellationToken">Cancels beginning the transaction.</param>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard.</exception>
    /// <exception cref="InvalidOperationException">A transaction is already open on this shard.</exception>
    public ValueTask<ShardTransaction> BeginReadOnlyTransactionAsync(IsolationLevel isolationLevel = IsolationLevel.Unspecified, CancellationToken cancellationToken = default) =>
        Begin(isolationLevel, readOnly: true, cancellationToken);

    private ValueTask<ShardTransaction> Begin(IsolationLevel isolationLevel, bool readOnly, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var ambient = _ambient.Transaction;
        if (ambient is not null)
        {
            _ambient.EnsureSameShard(ambient, _slot);
        }

        if (ambient is not null || _enlistedIn is { IsActive: true } || _transaction is { IsActive: true })
        {
            throw new InvalidOperationException($"A ShardKit transaction is already open on shard {_slot.Name}; transactions do not nest.");
        }

        // Set synchronously, before the first await, so the binding flows to the caller's async flow.
        var transaction = new ShardTransaction(_ambient, _slot, Endpoint, Connection, readOnly);
        _transaction = transaction;
        _ambient.Transaction = transaction;
        return transaction.BeginAsync(isolationLevel, cancellationToken);
    }

    /// <summary>Rolls back a transaction still open on this connection, then returns the connection to its pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        if (_enlistedIn is null && Intent == ShardIntent.Write && _ambient.WantsCausalTokens && Connection.State == ConnectionState.Open
            && _transaction is not { TokenRecorded: true })
        {
            // Inside a ReadYourWrites scope: the scope asked for the token of every write (a commit of this connection's
            // transaction has handed its own already; a later autocommit write on it asks with GetCausalTokenAsync).
            try
            {
                _ambient.RecordWrite(await GetCausalTokenAsync(CancellationToken.None).ConfigureAwait(false));
            }
            catch (DbException)
            {
                // The session is broken; the write's outcome is the caller's to learn from its own statement.
            }
        }

        _disposed = true;
        try
        {
            if (_transaction is not null)
            {
                await _transaction.DisposeAsync().ConfigureAwait(false);
            }

            if (_enlistedIn is null)
            {
                await Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            if (_lease is { } lease)
            {
                lease.Connector.Release(this, lease, failed: false);
            }
        }
    }

    /// <summary>Runs <paramref name="body"/> on this connection with its span as the current activity, so the driver's command spans nest under it.</summary>
    internal async Task<T> RunInSpanAsync<T>(Func<ShardConnection, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        var outer = Activity.Current;
        if (_lease?.Activity is { } span)
        {
            Activity.Current = span;
        }

        try
        {
            return await body(this, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Activity.Current = outer;
        }
    }

    /// <summary>Returns <see cref="Route"/> as text (no password).</summary>
    public override string ToString() => Route.ToString();
}
