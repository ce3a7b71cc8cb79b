using System.Collections;
using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Query;
using ShardKit.MySqlClient.Types;

namespace ShardKit.MySqlClient;

/// <summary>
/// Streams the results of a command: each <see cref="Read"/> takes the next row packet from the network, so
/// result sets are never buffered whole. Statements that return no rows are skipped (their counts add up in
/// <see cref="RecordsAffected"/>). Closing the reader reads and discards whatever the server still has to send.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1010:Generic interface should also be implemented", Justification = "DbDataReader's shape is fixed by ADO.NET.")]
public sealed partial class MySqlDataReader : DbDataReader
{
    private enum ReaderState
    {
        InResultSet,
        ResultSetDone,
        Finished,
        Closed,
    }

    private readonly MySqlConnection _connection;
    private readonly ServerSession _session;
    private readonly Statement[]? _batch;
    private readonly CommandBehavior _behavior;
    private readonly int _commandTimeout;
    private ReaderState _state = ReaderState.Finished;
    private ColumnDefinition[] _columns = [];
    private int[] _offsets = [];
    private int[] _lengths = [];
    private ReadOnlyMemory<byte> _row;
    private bool _hasRow;
    private bool _pendingRow;
    private bool _moreResults;
    private int _statementIndex;
    private int _recordsAffected = -1;

    internal MySqlDataReader(MySqlConnection connection, ServerSession session, Statement[]? batch, CommandBehavior behavior, int commandTimeout)
    {
        _connection = connection;
        _session = session;
        _batch = batch;
        _behavior = behavior;
        _commandTimeout = commandTimeout;
    }

    internal MySqlCommand? Command { get; set; }

    /// <summary>The first column of the first row, for ExecuteScalar.</summary>
    internal object? Scalar { get; set; }

    internal long LastInsertId { get; private set; }

    /// <inheritdoc />
    public override int Depth => 0;

    /// <inheritdoc />
    public override int FieldCount => _state == ReaderState.Closed ? throw new InvalidOperationException("The reader is closed.") : _columns.Length;

    /// <inheritdoc />
    public override bool HasRows => _pendingRow || _hasRow;

    /// <inheritdoc />
    public override bool IsClosed => _state == ReaderState.Closed;

    /// <summary>The total rows inserted, updated or deleted by the statements so far; -1 when none of them changed rows.</summary>
    public override int RecordsAffected => _recordsAffected;

    /// <inheritdoc />
    public override object this[int ordinal] => GetValue(ordinal);

    /// <inheritdoc />
    public override object this[string name] => GetValue(GetOrdinal(name));

    /// <inheritdoc />
    public override bool Read() => ReadRowAsync(IOBehavior.Synchronous, timed: true, CancellationToken.None).GetCompletedResult();

    /// <inheritdoc />
    public override Task<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var task = ReadRowAsync(IOBehavior.Asynchronous, timed: true, cancellationToken);
        return task.IsCompletedSuccessfully ? (task.Result ? s_true : s_false) : task.AsTask();
    }

    private static readonly Task<bool> s_true = Task.FromResult(true);
    private static readonly Task<bool> s_false = Task.FromResult(false);

    /// <inheritdoc />
    public override bool NextResult() => NextResultAsync(IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();

    /// <inheritdoc />
    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => NextResultAsync(IOBehavior.Asynchronous, cancellationToken).AsTask();

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

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    /// <summary>Reads the first result; true when it is a result set (statements without rows before it are consumed).</summary>
    internal ValueTask<bool> ReadFirstResultAsync(IOBehavior io) => ReadResultHeadersAsync(io);

    /// <summary>Reads and discards every remaining row and result.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask ConsumeAllAsync(IOBehavior io)
    {
        while (await NextResultInternalAsync(io).ConfigureAwait(false))
        {
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    internal async ValueTask CloseAsync(IOBehavior io)
    {
        if (_state == ReaderState.Closed)
        {
            return;
        }

        try
        {
            if (!_session.IsBroken)
            {
                await ConsumeAllAsync(io).ConfigureAwait(false);
            }
        }
        finally
        {
            _state = ReaderState.Closed;
            _hasRow = false;
            if (ReferenceEquals(_connection.ActiveReader, this))
            {
                _connection.ActiveReader = null;
            }

            Command?.SetLastInsertedId(LastInsertId);
            if ((_behavior & CommandBehavior.CloseConnection) != 0)
            {
                if (io == IOBehavior.Asynchronous)
                {
                    await _connection.CloseAsync().ConfigureAwait(false);
                }
                else
                {
                    _connection.Close();
                }
            }
        }
    }

    internal ValueTask<bool> ReadRowAsync(IOBehavior io) => ReadRowAsync(io, timed: false, CancellationToken.None);

    /// <summary>
    /// Advances to the next row. When <paramref name="timed"/> and the next packet is not already buffered, the wait
    /// for the network runs under the command timeout and the token (a KILL QUERY stops a stalled result).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadRowAsync(IOBehavior io, bool timed, CancellationToken cancellationToken)
    {
        if (_state != ReaderState.InResultSet)
        {
            _hasRow = false;
            if (_state == ReaderState.Closed)
            {
                throw new InvalidOperationException("The reader is closed.");
            }

            return false;
        }

        if (_pendingRow)
        {
            _pendingRow = false;
            _hasRow = true;
            return true;
        }

        if (!timed || _session.Packets.HasCompletePacket || (_commandTimeout == 0 && !cancellationToken.CanBeCanceled))
        {
            _hasRow = await ReadRowPacketAsync(io).ConfigureAwait(false);
            return _hasRow;
        }

        _session.BeginCancellableOperation(_commandTimeout, cancellationToken);
        try
        {
            _hasRow = await ReadRowPacketAsync(io).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var translated = _session.TranslateCancellation(ex);
            await _session.EndCancellableOperationAsync(io).ConfigureAwait(false);
            if (!ReferenceEquals(translated, ex))
            {
                throw translated;
            }

            throw;
        }

        await _session.EndCancellableOperationAsync(io).ConfigureAwait(false);
        return _hasRow;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> NextResultAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        if (_state == ReaderState.Closed)
        {
            throw new InvalidOperationException("The reader is closed.");
        }

        _session.BeginCancellableOperation(_commandTimeout, cancellationToken);
        try
        {
            var result = await NextResultInternalAsync(io).ConfigureAwait(false);
            await _session.EndCancellableOperationAsync(io).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex)
        {
            var translated = _session.TranslateCancellation(ex);
            await _session.EndCancellableOperationAsync(io).ConfigureAwait(false);
            if (!ReferenceEquals(translated, ex))
            {
                throw translated;
            }

            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> NextResultInternalAsync(IOBehavior io)
    {
        _hasRow = false;
        _pendingRow = false;
        while (_state == ReaderState.InResultSet)
        {
            await ReadRowPacketAsync(io).ConfigureAwait(false);
        }

        if (_state != ReaderState.ResultSetDone || !_moreResults)
        {
            _state = _state == ReaderState.Closed ? ReaderState.Closed : ReaderState.Finished;
            _columns = [];
            return false;
        }

        return await ReadResultHeadersAsync(io).ConfigureAwait(false);
    }

    /// <summary>Reads results until one is a result set (true, first row peeked) or there are no more (false).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadResultHeadersAsync(IOBehavior io)
    {
        _columns = [];
        while (true)
        {
            var payload = await _session.ReceiveAsync(io, CancellationToken.None).ConfigureAwait(false);
            if (payload.Length == 0)
            {
                throw Broken(MySqlException.Protocol("empty response packet"));
            }

            switch (payload.Span[0])
            {
                case ErrorPacket.Header:
                    _state = ReaderState.Finished;
                    throw ParseError(payload.Span);
                case 0x00:
                {
                    var ok = _session.ParseOk(payload.Span);
                    _session.ApplyOk(ok);
                    RecordStatement(ok);
                    if ((ok.Status & ServerStatus.MoreResultsExist) == 0)
                    {
                        _state = ReaderState.Finished;
                        return false;
                    }

                    continue;
                }

                case 0xFB:
                    throw Broken(MySqlException.Protocol("the server asked for LOCAL INFILE data, which this driver never enables"));
            }

            int columnCount;
            try
            {
                var header = new PayloadReader(payload.Span);
                var count = header.ReadLengthEncodedInteger();
                if (count is 0 or > 65535 || header.Remaining != 0)
                {
                    throw MySqlException.Protocol($"a result set header announcing {count} columns");
                }

                columnCount = (int)count;
            }
            catch (MySqlException ex)
            {
                throw Broken(ex);
            }

            var columns = _session.Columns.RentArray(columnCount);
            for (var i = 0; i < columnCount; i++)
            {
                var definition = await _session.ReceiveAsync(io, CancellationToken.None).ConfigureAwait(false);
                try
                {
                    columns[i] = _session.Columns.Get(i, definition.Span);
                }
                catch (MySqlException ex)
                {
                    throw Broken(ex);
                }
            }

            if (!_session.DeprecateEof)
            {
                var eof = await _session.ReceiveAsync(io, CancellationToken.None).ConfigureAwait(false);
                if (!OkPacket.IsResultSetTerminator(eof.Span))
                {
                    throw Broken(MySqlException.Protocol("missing EOF packet after the column definitions"));
                }

                _session.ApplyEof(eof.Span);
            }

            _columns = columns;
            _session.EnsureRowCapacity(columnCount);
            _offsets = _session.RowOffsets;
            _lengths = _session.RowLengths;

            _state = ReaderState.InResultSet;
            _pendingRow = await ReadRowPacketAsync(io).ConfigureAwait(false);
            return true;
        }
    }

    /// <summary>Reads the next packet of the current result set: a row (true) or the terminator (false).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadRowPacketAsync(IOBehavior io)
    {
        var payload = await _session.ReceiveAsync(io, CancellationToken.None).ConfigureAwait(false);
        var span = payload.Span;
        if (span.Length == 0)
        {
            throw Broken(MySqlException.Protocol("empty row packet"));
        }

        if (span[0] == ErrorPacket.Header)
        {
            _state = ReaderState.Finished;
            _hasRow = false;
            throw ParseError(span);
        }

        if (OkPacket.IsResultSetTerminator(span))
        {
            if (_session.DeprecateEof)
            {
                var ok = _session.ParseOk(span);
                _session.ApplyOk(ok);
            }
            else
            {
                _session.ApplyEof(span);
            }

            _moreResults = (_session.Status & ServerStatus.MoreResultsExist) != 0;
            _statementIndex++;
            _state = ReaderState.ResultSetDone;
            return false;
        }

        try
        {
            var reader = new PayloadReader(span);
            for (var i = 0; i < _columns.Length; i++)
            {
                if (reader.PeekByte() == 0xFB)
                {
                    reader.ReadByte();
                    _offsets[i] = -1;
                    _lengths[i] = 0;
                }
                else
                {
                    var length = reader.ReadLengthEncodedLength();
                    _offsets[i] = reader.Offset;
                    _lengths[i] = length;
                    reader.Skip(length);
                }
            }

            if (reader.Remaining != 0)
            {
                throw MySqlException.Protocol("a row packet has bytes after its last column");
            }
        }
        catch (MySqlException ex)
        {
            throw Broken(ex);
        }

        _row = payload;
        return true;
    }

    private void RecordStatement(in OkPacket ok)
    {
        var affected = (int)Math.Min(ok.AffectedRows, int.MaxValue);
        _recordsAffected = _recordsAffected < 0 ? affected : _recordsAffected + affected;
        LastInsertId = (long)ok.LastInsertId;
        if (_batch is not null && _statementIndex < _batch.Length && _batch[_statementIndex].BatchCommand is { } batchCommand)
        {
            batchCommand.RecordsAffectedValue = affected;
        }

        _statementIndex++;
    }

    private MySqlException ParseError(ReadOnlySpan<byte> payload)
    {
        try
        {
            return ErrorPacket.Parse(payload).ToException();
        }
        catch (MySqlException ex)
        {
            return Broken(ex);
        }
    }

    private MySqlException Broken(MySqlException exception)
    {
        _session.MarkBroken();
        _state = ReaderState.Finished;
        return exception;
    }

    private ReadOnlySpan<byte> GetSpan(int ordinal)
    {
        CheckOrdinal(ordinal);
        if (_offsets[ordinal] < 0)
        {
            throw new InvalidCastException($"Column '{_columns[ordinal].Name}' is NULL; check IsDBNull before reading it.");
        }

        return _row.Span.Slice(_offsets[ordinal], _lengths[ordinal]);
    }

    private void CheckOrdinal(int ordinal)
    {
        if (!_hasRow)
        {
            throw new InvalidOperationException(_state == ReaderState.Closed ? "The reader is closed." : "There is no current row; call Read first.");
        }

        if ((uint)ordinal >= (uint)_columns.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"Column ordinal {ordinal} is out of range; the result has {_columns.Length} columns.");
        }
    }

    private ColumnDefinition Column(int ordinal)
    {
        if ((uint)ordinal >= (uint)_columns.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"Column ordinal {ordinal} is out of range; the result has {_columns.Length} columns.");
        }

        return _columns[ordinal];
    }

    private static string Decode(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);
}
