using System.Data;
using System.Data.Common;

namespace ShardKit.Connections;

/// <summary>
/// A database transaction bound to one logical shard, begun with <see cref="ShardConnection.BeginTransactionAsync(CancellationToken)"/>.
/// While it is open, the <see cref="ShardKitDataSource"/> refuses to route the same async flow into any
/// other shard. Disposing it without committing rolls it back.
/// </summary>
public sealed class ShardTransaction : IAsyncDisposable
{
    private readonly AmbientContext _ambient;
    private DbTransaction? _transaction;
    private volatile bool _completed;

    internal ShardTransaction(AmbientContext ambient, ShardSlot slot, ShardEndpoint endpoint, DbConnection connection, bool readOnly)
    {
        _ambient = ambient;
        Slot = slot;
        Endpoint = endpoint;
        Connection = connection;
        IsReadOnly = readOnly;
    }

    /// <summary>The shard the transaction is bound to.</summary>
    public ShardRoute Route => new(Slot);

    /// <summary>The underlying ADO.NET transaction; pass it to every command (Dapper's <c>transaction:</c> argument).</summary>
    public DbTransaction DbTransaction => _transaction ?? throw new InvalidOperationException("The transaction has not begun.");

    /// <summary>Whether this is a read-only transaction (see <see cref="ShardConnection.BeginReadOnlyTransactionAsync"/>).</summary>
    public bool IsReadOnly { get; }

    /// <summary>The server the transaction runs on: the primary, or a replica for a read-only transaction.</summary>
    public ShardEndpoint Endpoint { get; }

    internal ShardSlot Slot { get; }

    internal DbConnection Connection { get; }

    /// <summary>Whether the commit handed its token to a ReadYourWrites scope (so the connection need not ask again).</summary>
    internal bool TokenRecorded { get; private set; }

    /// <summary>Whether the transaction still binds its async flow (begun or beginning, not yet finished).</summary>
    internal bool IsActive => !_completed;

    /// <summary>
    /// Commits the transaction. For a token of its writes, call <see cref="ShardConnection.GetCausalTokenAsync"/> on the
    /// connection afterwards (inside a <see cref="ShardKitDataSource.ReadYourWrites"/> scope ShardKit does so itself).
    /// </summary>
    /// <param name="cancellationToken">Cancels the commit.</param>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        try
        {
            await DbTransaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (!IsReadOnly && _ambient.WantsCausalTokens)
            {
                // Inside a ReadYourWrites scope: the scope asked for the token of every write.
                _ambient.RecordWrite(await GtidDialect.ReadLastCommittedGtidAsync(Connection, cancellationToken).ConfigureAwait(false) is { } gtid
                    ? new CausalToken(Slot.Cluster.Name, gtid)
                    : null);
                TokenRecorded = true;
            }
        }
        finally
        {
            Complete();
        }
    }

    /// <summary>Rolls the transaction back.</summary>
    /// <param name="cancellationToken">Cancels the rollback.</param>
    public async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        EnsureOpen();
        try
        {
            await DbTransaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Complete();
        }
    }

    /// <summary>Rolls back the transaction if it is still open and releases the shard binding.</summary>
    public ValueTask DisposeAsync()
    {
        // Clear the ambient binding synchronously so that it is cleared on the caller's async flow.
        _ambient.Clear(this);

        return DisposeCoreAsync();
    }

    /// <summary>Returns for example <c>transaction on user:17</c>.</summary>
    public override string ToString() => "transaction on " + Slot.Name;

    internal async ValueTask<ShardTransaction> BeginAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        try
        {
            if (IsReadOnly)
            {
                // SET TRANSACTION without SESSION applies to the next transaction only: the one begun just below.
                var command = Connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "SET TRANSACTION READ ONLY";
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            _transaction = await Connection.BeginTransactionAsync(isolationLevel, cancellationToken).ConfigureAwait(false);
            return this;
        }
        catch
        {
            Complete();
            throw;
        }
    }

    private async ValueTask DisposeCoreAsync()
    {
        var transaction = _transaction;
        Complete();
        if (transaction is not null)
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void EnsureOpen()
    {
        if (_completed)
        {
            throw new InvalidOperationException($"The transaction on shard {Slot.Name} has already been committed, rolled back or disposed.");
        }
    }

    private void Complete() => _completed = true;
}
