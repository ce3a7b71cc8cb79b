using System.Data;
using System.Data.Common;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Query;

namespace ShardKit.MySqlClient;

/// <summary>Several statements sent to the server in one multi-statement COM_QUERY (one round trip).</summary>
public sealed class MySqlBatch : DbBatch
{
    private int? _timeout;

    /// <summary>Creates an empty batch.</summary>
    public MySqlBatch()
    {
    }

    /// <summary>Creates an empty batch on a connection.</summary>
    public MySqlBatch(MySqlConnection? connection, MySqlTransaction? transaction = null)
    {
        Connection = connection;
        Transaction = transaction;
    }

    /// <summary>The statements of the batch.</summary>
    public new MySqlBatchCommandCollection BatchCommands { get; } = new();

    /// <inheritdoc />
    protected override DbBatchCommandCollection DbBatchCommands => BatchCommands;

    /// <summary>Seconds before the batch is killed on the server; 0 means no limit. Defaults to the connection's <c>Default Command Timeout</c>.</summary>
    public override int Timeout
    {
        get => _timeout ?? (Connection is { State: ConnectionState.Open } c ? c.Settings.DefaultCommandTimeout : 30);
        set => _timeout = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Timeout must be 0 (no limit) or more seconds.");
    }

    /// <summary>The connection the batch runs on.</summary>
    public new MySqlConnection? Connection { get; set; }

    /// <inheritdoc />
    protected override DbConnection? DbConnection
    {
        get => Connection;
        set => Connection = value is null or MySqlConnection ? (MySqlConnection?)value : throw new ArgumentException("The connection must be a MySqlConnection.", nameof(value));
    }

    /// <summary>The transaction the batch runs in.</summary>
    public new MySqlTransaction? Transaction { get; set; }

    /// <inheritdoc />
    protected override DbTransaction? DbTransaction
    {
        get => Transaction;
        set => Transaction = value is null or MySqlTransaction ? (MySqlTransaction?)value : throw new ArgumentException("The transaction must be a MySqlTransaction.", nameof(value));
    }

    /// <inheritdoc />
    public override void Cancel()
    {
        if (Connection?.State == ConnectionState.Open)
        {
            Connection.RequireSession().CancelCurrentOperation();
        }
    }

    /// <inheritdoc />
    public override int ExecuteNonQuery() => ExecuteAsync(CommandBehavior.Default, CommandExecutor.Mode.NonQuery, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult().RecordsAffected;

    /// <inheritdoc />
    public override async Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(CommandBehavior.Default, CommandExecutor.Mode.NonQuery, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false)).RecordsAffected;

    /// <inheritdoc />
    public override object? ExecuteScalar() => ExecuteAsync(CommandBehavior.Default, CommandExecutor.Mode.Scalar, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult().Scalar;

    /// <inheritdoc />
    public override async Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(CommandBehavior.Default, CommandExecutor.Mode.Scalar, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false)).Scalar;

    /// <summary>Executes the batch and returns a reader over its result sets.</summary>
    public new MySqlDataReader ExecuteReader(CommandBehavior behavior = CommandBehavior.Default) =>
        ExecuteAsync(behavior, CommandExecutor.Mode.Reader, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <summary>Executes the batch and returns a reader over its result sets.</summary>
    public new async Task<MySqlDataReader> ExecuteReaderAsync(CancellationToken cancellationToken = default) =>
        (await ExecuteAsync(CommandBehavior.Default, CommandExecutor.Mode.Reader, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => ExecuteReader(behavior);

    /// <inheritdoc />
    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        (await ExecuteAsync(behavior, CommandExecutor.Mode.Reader, IOBehavior.Asynchronous, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override void Prepare()
    {
        if (Connection?.State != ConnectionState.Open)
        {
            throw new InvalidOperationException("The batch's connection must be open to prepare it.");
        }
    }

    /// <inheritdoc />
    public override Task PrepareAsync(CancellationToken cancellationToken = default)
    {
        Prepare();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override DbBatchCommand CreateDbBatchCommand() => new MySqlBatchCommand();

    private ValueTask<MySqlDataReader> ExecuteAsync(CommandBehavior behavior, CommandExecutor.Mode mode, IOBehavior io, CancellationToken cancellationToken)
    {
        if (BatchCommands.Count == 0)
        {
            throw new InvalidOperationException("The batch has no commands.");
        }

        var statements = new Statement[BatchCommands.Count];
        for (var i = 0; i < statements.Length; i++)
        {
            var command = BatchCommands[i];
            command.RecordsAffectedValue = -1;
            statements[i] = new Statement(command.CommandText, command.Parameters, command);
        }

        return CommandExecutor.ExecuteAsync(Connection, null, Transaction, default, statements, Timeout, behavior, mode, io, cancellationToken);
    }
}
