using System.Data;
using System.Runtime.CompilerServices;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Query;

/// <summary>Sends a command's or batch's statements as one COM_QUERY and reads the response under the command timeout.</summary>
internal static class CommandExecutor
{
    public enum Mode
    {
        Reader,
        NonQuery,
        Scalar,
    }

    /// <summary>
    /// Runs a command's statement (<paramref name="batch"/> null) or a batch's statements; for <see cref="Mode.Reader"/>
    /// returns the open reader, otherwise the drained reader (with the scalar value in <see cref="MySqlDataReader.Scalar"/>).
    /// A single command passes its statement by value, so executing it allocates no array.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<MySqlDataReader> ExecuteAsync(
        MySqlConnection? connection,
        MySqlCommand? command,
        MySqlTransaction? transaction,
        Statement single,
        Statement[]? batch,
        int commandTimeout,
        CommandBehavior behavior,
        Mode mode,
        IOBehavior io,
        CancellationToken cancellationToken)
    {
        if (connection is null)
        {
            throw new InvalidOperationException("The command has no Connection.");
        }

        var session = connection.GetSessionForCommand();
        if (transaction is not null && !ReferenceEquals(transaction, connection.CurrentTransaction))
        {
            throw new InvalidOperationException("The command's Transaction is not the active transaction of its connection (it was completed, or belongs to another connection).");
        }

        var builder = session.CommandBuilder;
        builder.Clear();
        builder.WriteByte(ServerSession.CommandQuery);
        var count = batch?.Length ?? 1;
        for (var i = 0; i < count; i++)
        {
            var statement = batch is null ? single : batch[i];
            if (string.IsNullOrWhiteSpace(statement.Sql))
            {
                throw new InvalidOperationException(batch is null ? "CommandText must be set before the command is executed." : $"Batch command {i} has no CommandText.");
            }

            if (i > 0)
            {
                builder.WriteUtf8(";\n");
            }

            session.NoteStatement(statement.Sql);
            CommandTextBinder.Bind(builder, statement.Sql, statement.Parameters, session.NoBackslashEscapes, session.Settings.AllowUserVariables);
        }

        // Armed before the reader becomes the connection's active one: a token cancelled already throws here and
        // must not leave the connection looking busy.
        session.BeginCancellableOperation(commandTimeout, cancellationToken);
        var reader = new MySqlDataReader(connection, session, batch, behavior, commandTimeout) { Command = command };
        connection.ActiveReader = reader;
        try
        {
            try
            {
                await session.SendCommandAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                builder.Reset();
            }

            var hasResultSet = await reader.ReadFirstResultAsync(io).ConfigureAwait(false);
            if (mode == Mode.Scalar && hasResultSet && await reader.ReadRowAsync(io).ConfigureAwait(false) && reader.FieldCount > 0)
            {
                reader.Scalar = reader.GetValue(0);
            }

            if (mode != Mode.Reader)
            {
                await reader.ConsumeAllAsync(io).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            session.MarkDirty();
            var translated = session.TranslateCancellation(ex);
            await session.EndCancellableOperationAsync(io).ConfigureAwait(false);
            connection.ActiveReader = null;
            if (!ReferenceEquals(translated, ex))
            {
                throw translated;
            }

            throw;
        }

        await session.EndCancellableOperationAsync(io).ConfigureAwait(false);
        if (session.WasCancelled)
        {
            session.MarkDirty();
        }

        if (mode != Mode.Reader)
        {
            connection.ActiveReader = null;
            if (session.WasCancelled)
            {
                throw session.CancellationException(null);
            }
        }
        else if (session.WasCancelled)
        {
            // The timeout or token fired after the first rows arrived: the KILL QUERY has been sent, so the rest
            // of the result would end in an interruption. Report the timeout now, leaving the connection clean.
            var cancellation = session.CancellationException(null);
            try
            {
                await reader.CloseAsync(io).ConfigureAwait(false);
            }
            catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.QueryInterrupted)
            {
                // The interruption the KILL QUERY caused.
            }

            throw cancellation;
        }

        if (mode != Mode.Reader && command is not null)
        {
            command.SetLastInsertedId(reader.LastInsertId);
        }

        return reader;
    }
}
