using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// One physical connection to a server: owns the socket and packet stream, knows the negotiated capabilities,
/// and tracks the session state the server reports (status flags, current schema, last committed GTID).
/// </summary>
internal sealed partial class ServerSession : IDisposable
{
    public const byte CommandQuit = 0x01;
    public const byte CommandInitDb = 0x02;
    public const byte CommandQuery = 0x03;
    public const byte CommandPing = 0x0E;
    public const byte CommandResetConnection = 0x1F;

    private readonly PacketStream _packets;
    private Socket _socket;
    private CapabilityFlags _capabilities;
    private int _state;
    private int _pendingResetResponses;
    private bool _needsReset;
    private string? _lastCleanStatement;

    private ServerSession(ConnectionSettings settings, Socket socket)
    {
        Settings = settings;
        _socket = socket;
        _packets = new PacketStream(Stream.Null);
        CreatedTimestamp = Timestamp();
        CurrentSchema = settings.Database;
    }

    public ConnectionSettings Settings { get; }

    public uint ConnectionId { get; private set; }

    public string ServerVersion { get; private set; } = "";

    public bool IsMariaDb { get; private set; }

    public bool IsTls { get; private set; }

    public ServerStatus Status { get; private set; }

    public bool NoBackslashEscapes => (Status & ServerStatus.NoBackslashEscapes) != 0;

    public bool SessionTrack => (_capabilities & CapabilityFlags.SessionTrack) != 0;

    public bool DeprecateEof => (_capabilities & CapabilityFlags.DeprecateEof) != 0;

    /// <summary>The GTID of the session's last committed write, from session state tracking.</summary>
    public string? LastGtid { get; private set; }

    /// <summary>
    /// Whether the session may hold state that must not survive a return to the pool. Without session tracking
    /// this is always true. With it, it becomes true when the server reports a change of session state, and when
    /// a statement does what the server does not report (see <see cref="NoteStatement"/>), fails or is cancelled.
    /// </summary>
    public bool NeedsReset => _needsReset || !SessionTrack || (Status & ServerStatus.InTransaction) != 0
        || !string.Equals(CurrentSchema, Settings.Database, StringComparison.Ordinal);

    /// <summary>Marks the session as needing a reset before reuse.</summary>
    public void MarkDirty() => _needsReset = true;

    /// <summary>
    /// Notes a statement about to be sent. The server's state tracking does not report named locks
    /// (<c>GET_LOCK</c>), <c>LOCK TABLES</c>, <c>HANDLER</c> cursors, user variables assigned inside a
    /// <c>SELECT</c>, or what a stored procedure does, so text that may do any of them marks the session for reset.
    /// The check is deliberately broad: a false alarm costs one reset, a miss would leak state.
    /// </summary>
    public void NoteStatement(string sql)
    {
        if (_needsReset)
        {
            return;
        }

        // Commands usually run the same text instance again and again: its answer is remembered by reference.
        if (!ReferenceEquals(sql, _lastCleanStatement))
        {
            if (MayChangeUntrackedState(sql, Settings.AllowUserVariables))
            {
                _needsReset = true;
                return;
            }

            _lastCleanStatement = sql;
        }
    }

    internal static bool MayChangeUntrackedState(string sql, bool allowUserVariables)
    {
        var text = sql.AsSpan();
        return text.Contains("LOCK", StringComparison.OrdinalIgnoreCase)
            || text.Contains("HANDLER", StringComparison.OrdinalIgnoreCase)
            || text.Contains("CALL", StringComparison.OrdinalIgnoreCase)
            || (allowUserVariables && text.Contains('@'));
    }

    public string CurrentSchema { get; private set; }

    public long CreatedTimestamp { get; }

    /// <summary>When the session last went back to its pool (Stopwatch timestamp).</summary>
    public long ReturnedTimestamp { get; set; }

    /// <summary>The pool generation this session was created in (sessions from a cleared generation are discarded).</summary>
    public int PoolGeneration { get; set; }

    public bool IsBroken => Volatile.Read(ref _state) == StateBroken || _packets.IsFaulted;

    public PacketStream Packets => _packets;

    /// <summary>Parsed column definitions of recent result sets, reused when a statement runs again.</summary>
    public ColumnDefinitionCache Columns { get; } = new();

    /// <summary>The reusable buffer for outgoing commands (a session runs one command at a time).</summary>
    public PayloadBuilder CommandBuilder { get; } = new(1024);

    /// <summary>Scratch arrays for the current row's value offsets and lengths.</summary>
    public int[] RowOffsets { get; private set; } = new int[16];

    public int[] RowLengths { get; private set; } = new int[16];

    public void EnsureRowCapacity(int columns)
    {
        if (RowOffsets.Length < columns)
        {
            RowOffsets = new int[columns];
            RowLengths = new int[columns];
        }
    }

    private const int StateOpen = 0;
    private const int StateBroken = 1;

    /// <summary>Marks the session unusable (a failed read or write left the protocol in an unknown position).</summary>
    public void MarkBroken() => Volatile.Write(ref _state, StateBroken);

    /// <summary>
    /// Cheap liveness check with no round trip: an idle connection's socket becomes readable only when the server
    /// closed it (or sent something unsolicited, which also makes it unusable).
    /// </summary>
    public bool LooksAlive()
    {
        if (IsBroken || _packets.HasBufferedData)
        {
            return false;
        }

        try
        {
            return !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Sends one command packet (sequence id 0) built by <paramref name="builder"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendCommandAsync(PayloadBuilder builder, IOBehavior io, CancellationToken cancellationToken)
    {
        _packets.SequenceId = 0;
        try
        {
            await _packets.WritePayloadAsync(builder, io, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            MarkBroken();
            throw;
        }
    }

    /// <summary>
    /// Reads the next payload of the current response; any framing or connection failure breaks the session (a failure
    /// while waiting for the network faults the packet stream, which <see cref="IsBroken"/> reports).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> ReceiveAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            return _packets.ReadPayloadAsync(io, cancellationToken);
        }
        catch
        {
            MarkBroken();
            throw;
        }
    }

    /// <summary>Reads a response that must be OK (ERR is thrown as the server's error) and applies it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<OkPacket> ReadOkAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        var payload = await ReceiveAsync(io, cancellationToken).ConfigureAwait(false);
        return ReadOk(payload.Span);
    }

    public OkPacket ReadOk(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > 0 && payload[0] == ErrorPacket.Header)
        {
            throw ErrorPacket.Parse(payload).ToException();
        }

        if (payload.Length == 0 || payload[0] != 0x00)
        {
            MarkBroken();
            throw MySqlException.Protocol("expected an OK packet");
        }

        var ok = ParseOk(payload);
        ApplyOk(ok);
        return ok;
    }

    /// <summary>Parses an OK packet; a malformed one breaks the session.</summary>
    public OkPacket ParseOk(ReadOnlySpan<byte> payload)
    {
        try
        {
            return OkPacket.Parse(payload, SessionTrack);
        }
        catch (MySqlException)
        {
            MarkBroken();
            throw;
        }
    }

    /// <summary>Parses a legacy EOF packet (servers without CLIENT_DEPRECATE_EOF) and applies its status.</summary>
    public void ApplyEof(ReadOnlySpan<byte> payload)
    {
        if (payload.Length >= 5)
        {
            var reader = new PayloadReader(payload);
            reader.ReadByte();
            reader.ReadUInt16();
            Status = (ServerStatus)reader.ReadUInt16();
        }
    }

    /// <summary>Clears the tracked GTID when the session starts serving a new logical connection.</summary>
    public void ForgetLastGtid() => LastGtid = null;

    public void ApplyOk(in OkPacket ok)
    {
        Status = ok.Status;
        if (ok.StateChanged)
        {
            _needsReset = true;
        }

        if (ok.LastGtid is not null)
        {
            LastGtid = ok.LastGtid;
        }

        if (ok.Schema is not null)
        {
            CurrentSchema = ok.Schema;
        }
    }

    /// <summary>COM_PING: true when the server answered OK.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> TryPingAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            using var builder = new PayloadBuilder(16);
            builder.WriteByte(CommandPing);
            await SendCommandAsync(builder, io, cancellationToken).ConfigureAwait(false);
            await ReadOkAsync(io, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (MySqlException)
        {
            MarkBroken();
            return false;
        }
    }

    /// <summary>
    /// COM_RESET_CONNECTION (clears variables, temporary tables, open transactions, locks), pipelined in the same
    /// write with restoring the default database and the GTID tracking setting, so it costs one round trip.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ResetAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        await SendResetAsync(io, cancellationToken).ConfigureAwait(false);
        await CompleteResetAsync(io, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether reset responses are still unread (see <see cref="SendResetAsync"/>).</summary>
    public bool HasPendingReset => _pendingResetResponses > 0;

    /// <summary>
    /// Writes the reset commands without waiting for their answers: the server drops the session state (and its
    /// locks) right away, and the answers are read by <see cref="CompleteResetAsync"/> when the session is next
    /// used, by which time they have normally arrived. Returning a connection to the pool therefore costs no wait.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendResetAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        using var builder = new PayloadBuilder(256);
        var responses = 1;
        builder.WriteByte(CommandResetConnection);
        await SendCommandAsync(builder, io, cancellationToken).ConfigureAwait(false);
        if (Settings.Database.Length > 0 && !string.Equals(CurrentSchema, Settings.Database, StringComparison.Ordinal))
        {
            builder.Clear();
            builder.WriteByte(CommandInitDb);
            builder.WriteUtf8(Settings.Database);
            await SendCommandAsync(builder, io, cancellationToken).ConfigureAwait(false);
            responses++;
        }

        var trackingSql = SessionTrackingSql;
        if (trackingSql is not null)
        {
            builder.Clear();
            builder.WriteByte(CommandQuery);
            builder.WriteUtf8(trackingSql);
            await SendCommandAsync(builder, io, cancellationToken).ConfigureAwait(false);
            responses++;
        }

        _pendingResetResponses = responses;
    }

    /// <summary>Reads the answers to <see cref="SendResetAsync"/>; any error breaks the session.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CompleteResetAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        MySqlException? first = null;
        while (_pendingResetResponses > 0)
        {
            _pendingResetResponses--;
            _packets.SequenceId = 1;
            try
            {
                await ReadOkAsync(io, cancellationToken).ConfigureAwait(false);
            }
            catch (MySqlException ex)
            {
                first ??= ex;
                if (IsBroken)
                {
                    break;
                }
            }
        }

        _pendingResetResponses = 0;
        if (first is not null)
        {
            MarkBroken();
            throw first;
        }

        CurrentSchema = Settings.Database;
        _needsReset = false;
    }

    /// <summary>Sends COM_QUIT and closes the socket; never throws.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CloseAsync(IOBehavior io)
    {
        if (!IsBroken)
        {
            try
            {
                using var builder = new PayloadBuilder(16);
                builder.WriteByte(CommandQuit);
                await SendCommandAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MySqlException)
            {
                // The connection is being closed either way.
            }
        }

        Dispose();
    }

    /// <summary>Closes the socket immediately, aborting any read or write in progress (used by timeouts).</summary>
    public void Abort()
    {
        MarkBroken();
        try
        {
            _socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public TimeSpan Age => Stopwatch.GetElapsedTime(CreatedTimestamp);

    public void Dispose()
    {
        MarkBroken();
        try
        {
            _packets.Stream.Dispose();
        }
        catch (IOException)
        {
        }

        _socket.Dispose();
        _packets.Dispose();
        _timer?.Dispose();
        CommandBuilder.Dispose();
    }
}
