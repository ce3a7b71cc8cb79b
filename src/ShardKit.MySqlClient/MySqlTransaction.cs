using System.Data;
using System.Data.Common;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient;

/// <summary>A transaction on a <see cref="MySqlConnection"/>; disposing it without committing rolls it back.</summary>
public sealed class MySqlTransaction : DbTransaction
{
    private MySqlConnection? _connection;
    private bool _completed;

    internal MySqlTransaction(MySqlConnection connection, IsolationLevel isolationLevel)
    {
        _connection = connection;
        IsolationLevel = isolationLevel;
    }

    /// <summary>The connection, or null once the transaction has completed.</summary>
    public new MySqlConnection? Connection => _connection;

    /// <inheritdoc />
    protected override DbConnection? DbConnection => _connection;

    /// <inheritdoc />
    public override IsolationLevel IsolationLevel { get; }

    /// <inheritdoc />
    public override void Commit() => CompleteAsync("COMMIT", IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <inheritdoc />
    public override Task CommitAsync(CancellationToken cancellationToken = default) => CompleteAsync("COMMIT", IOBehavior.Asynchronous, cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Rollback() => CompleteAsync("ROLLBACK", IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <inheritdoc />
    public override Task RollbackAsync(CancellationToken cancellationToken = default) => CompleteAsync("ROLLBACK", IOBehavior.Asynchronous, cancellationToken).AsTask();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            RollbackIfOpenAsync(IOBehavior.Synchronous).GetCompletedResult();
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await RollbackIfOpenAsync(IOBehavior.Asynchronous).ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    internal async ValueTask RollbackIfOpenAsync(IOBehavior io)
    {
        if (_completed || _connection is null || _connection.State != ConnectionState.Open)
        {
            Detach();
            return;
        }

        try
        {
            await CompleteAsync("ROLLBACK", io, CancellationToken.None).ConfigureAwait(false);
        }
        catch (MySqlException)
        {
            // The session is broken or the server is gone; the server rolls the transaction back itself.
            Detach();
        }
    }

    /// <summary>Forgets the connection (it closed; the pool's reset ends the transaction on the server).</summary>
    internal void Detach()
    {
        if (_connection is not null && ReferenceEquals(_connection.CurrentTransaction, this))
        {
            _connection.CurrentTransaction = null;
        }

        _completed = true;
        _connection = null;
    }

    private async ValueTask CompleteAsync(string sql, IOBehavior io, CancellationToken cancellationToken)
    {
        if (_completed || _connection is null)
        {
            throw new InvalidOperationException("The transaction has already been committed or rolled back.");
        }

        var connection = _connection;
        try
        {
            await connection.ExecuteInternalAsync(sql, io, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Detach();
        }
    }
}
