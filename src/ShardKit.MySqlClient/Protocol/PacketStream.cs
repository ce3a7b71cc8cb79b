using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Frames MySQL packets over a <see cref="Stream"/>: a 3-byte little-endian payload length and a 1-byte sequence
/// id, with payloads of 16 MiB - 1 bytes or more split into consecutive packets (and joined when reading).
/// Reads are buffered in a pooled buffer; a payload returned by <see cref="ReadPayloadAsync"/> stays valid until
/// the next read.
/// </summary>
internal sealed class PacketStream : IDisposable
{
    public const int MaxPacketPayload = 0xFF_FFFF;

    /// <summary>The largest joined payload accepted (MySQL's own max_allowed_packet ceiling is 1 GiB).</summary>
    public const int MaxJoinedPayload = 1 << 30;

    private const int BufferSize = 64 * 1024;

    private byte[] _buffer;
    private int _start;
    private int _end;
    private byte[]? _large;
    private readonly byte[] _header = new byte[4];
    private Stream _stream;
    private bool _flushNeeded;
    private bool _disposed;

    public PacketStream(Stream stream)
    {
        _stream = stream;
        _flushNeeded = stream is not NetworkStream;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    public Stream Stream
    {
        get => _stream;
        set
        {
            _stream = value;
            _flushNeeded = value is not NetworkStream;
        }
    }

    /// <summary>Whether a read failed, leaving the stream at an unknown position in the protocol.</summary>
    public bool IsFaulted { get; private set; }

    /// <summary>The sequence id the next packet read or written must carry.</summary>
    public byte SequenceId { get; set; }

    /// <summary>Whether unread bytes are buffered (a well-behaved server never sends unsolicited data).</summary>
    public bool HasBufferedData => _end > _start;

    /// <summary>Whether the next packet is already buffered in full, so reading it cannot wait on the network.</summary>
    public bool HasCompletePacket
    {
        get
        {
            var available = _end - _start;
            if (available < 4)
            {
                return false;
            }

            var length = _buffer[_start] | (_buffer[_start + 1] << 8) | (_buffer[_start + 2] << 16);
            return length < MaxPacketPayload && available >= 4 + length;
        }
    }

    /// <summary>Reads one logical payload (joining split packets).</summary>
    public ValueTask<ReadOnlyMemory<byte>> ReadPayloadAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        ReturnLarge();
        var available = _end - _start;
        if (available >= 4)
        {
            var length = _buffer[_start] | (_buffer[_start + 1] << 8) | (_buffer[_start + 2] << 16);
            if (length < MaxPacketPayload && available >= 4 + length)
            {
                CheckSequence(_buffer[_start + 3]);
                var payload = new ReadOnlyMemory<byte>(_buffer, _start + 4, length);
                _start += 4 + length;
                return new ValueTask<ReadOnlyMemory<byte>>(payload);
            }
        }

        return ReadPayloadSlowAsync(io, cancellationToken);
    }

    /// <summary>
    /// Waits for the rest of a payload that is not buffered yet. A packet that fits in the buffer (nearly every
    /// response) is read here with the stream read inline, so a query's wait for its answer costs one pooled state
    /// machine; larger and split payloads go on to <see cref="ReadLargePayloadAsync"/>. Any failure marks the stream
    /// <see cref="IsFaulted"/>: the protocol position is then unknown.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadPayloadSlowAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var available = _end - _start;
                var needed = 4;
                if (available >= 4)
                {
                    var length = _buffer[_start] | (_buffer[_start + 1] << 8) | (_buffer[_start + 2] << 16);
                    if (length >= MaxPacketPayload || 4 + length > _buffer.Length)
                    {
                        return await ReadLargePayloadAsync(io, cancellationToken).ConfigureAwait(false);
                    }

                    if (available >= 4 + length)
                    {
                        CheckSequence(_buffer[_start + 3]);
                        var payload = new ReadOnlyMemory<byte>(_buffer, _start + 4, length);
                        _start += 4 + length;
                        return payload;
                    }

                    needed = 4 + length;
                }

                MakeRoom(needed);
                int read;
                try
                {
                    read = io == IOBehavior.Asynchronous
                        ? await Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false)
                        : Stream.Read(_buffer.AsSpan(_end));
                }
                catch (Exception ex) when (IsConnectionFailure(ex))
                {
                    throw ConnectionLost("while reading from the server", ex);
                }

                if (read == 0)
                {
                    throw ConnectionLost(_end == _start ? "the server closed the connection" : "the server closed the connection in the middle of a packet", null);
                }

                _end += read;
            }
        }
        catch
        {
            IsFaulted = true;
            throw;
        }
    }

    /// <summary>Reads a payload that does not fit in the buffer or is split over several packets.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadLargePayloadAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        byte[]? joined = null;
        var joinedLength = 0;
        while (true)
        {
            await FillAsync(4, io, cancellationToken).ConfigureAwait(false);
            var length = _buffer[_start] | (_buffer[_start + 1] << 8) | (_buffer[_start + 2] << 16);
            CheckSequence(_buffer[_start + 3]);
            _start += 4;

            if (joined is null && length < MaxPacketPayload)
            {
                if (length <= _buffer.Length)
                {
                    await FillAsync(length, io, cancellationToken).ConfigureAwait(false);
                    var payload = new ReadOnlyMemory<byte>(_buffer, _start, length);
                    _start += length;
                    return payload;
                }

                _large = ArrayPool<byte>.Shared.Rent(length);
                await ReadIntoAsync(_large, 0, length, io, cancellationToken).ConfigureAwait(false);
                return new ReadOnlyMemory<byte>(_large, 0, length);
            }

            if ((long)joinedLength + length > MaxJoinedPayload)
            {
                if (joined is not null)
                {
                    ArrayPool<byte>.Shared.Return(joined);
                }

                throw MySqlException.Protocol($"a split payload exceeds {MaxJoinedPayload} bytes");
            }

            if (joined is null || joined.Length < joinedLength + length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(joinedLength + length, joined is null ? 0 : joined.Length * 2));
                if (joined is not null)
                {
                    joined.AsSpan(0, joinedLength).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(joined);
                }

                joined = grown;
            }

            try
            {
                await ReadIntoAsync(joined, joinedLength, length, io, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(joined);
                throw;
            }

            joinedLength += length;
            if (length < MaxPacketPayload)
            {
                _large = joined;
                return new ReadOnlyMemory<byte>(joined, 0, joinedLength);
            }
        }
    }

    /// <summary>Writes <paramref name="payload"/> as one or more packets, advancing the sequence id.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WritePayloadAsync(ReadOnlyMemory<byte> payload, IOBehavior io, CancellationToken cancellationToken)
    {
        var offset = 0;
        while (true)
        {
            var chunk = Math.Min(payload.Length - offset, MaxPacketPayload);
            _header[0] = (byte)chunk;
            _header[1] = (byte)(chunk >> 8);
            _header[2] = (byte)(chunk >> 16);
            _header[3] = SequenceId++;
            await WriteAsync(_header, io, cancellationToken).ConfigureAwait(false);
            await WriteAsync(payload.Slice(offset, chunk), io, cancellationToken).ConfigureAwait(false);
            offset += chunk;
            if (chunk < MaxPacketPayload)
            {
                break;
            }
        }

        await FlushAsync(io, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes a payload whose buffer reserves 4 bytes in front of it for the header: a payload under 16 MiB goes
    /// out in a single write.
    /// </summary>
    public ValueTask WritePayloadAsync(PayloadBuilder builder, IOBehavior io, CancellationToken cancellationToken)
    {
        var length = builder.PayloadLength;
        if (length >= MaxPacketPayload)
        {
            return WritePayloadAsync(builder.Payload, io, cancellationToken);
        }

        var frame = builder.FrameWithHeaderSpace;
        var header = frame.Span;
        header[0] = (byte)length;
        header[1] = (byte)(length >> 8);
        header[2] = (byte)(length >> 16);
        header[3] = SequenceId++;
        if (io == IOBehavior.Synchronous || _flushNeeded)
        {
            return WriteAndFlushAsync(frame, io, cancellationToken);
        }

        // A socket stream needs no flush, and a send to a socket with room in its buffer completes at once:
        // then the command goes out with no state machine at all.
        ValueTask write;
        try
        {
            write = Stream.WriteAsync(frame, cancellationToken);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw ConnectionLost("while sending to the server", ex);
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return default;
        }

        return AwaitWriteAsync(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask AwaitWriteAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw ConnectionLost("while sending to the server", ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAndFlushAsync(ReadOnlyMemory<byte> frame, IOBehavior io, CancellationToken cancellationToken)
    {
        await WriteAsync(frame, io, cancellationToken).ConfigureAwait(false);
        await FlushAsync(io, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            if (io == IOBehavior.Asynchronous)
            {
                await Stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Stream.Write(data.Span);
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw ConnectionLost("while sending to the server", ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            if (io == IOBehavior.Asynchronous)
            {
                await Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Stream.Flush();
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw ConnectionLost("while sending to the server", ex);
        }
    }

    /// <summary>Ensures at least <paramref name="count"/> (at most the buffer size) bytes are buffered.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FillAsync(int count, IOBehavior io, CancellationToken cancellationToken)
    {
        if (_end - _start >= count)
        {
            return;
        }

        MakeRoom(count);
        while (_end - _start < count)
        {
            var read = await ReadStreamAsync(_buffer.AsMemory(_end), io, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw ConnectionLost(_end == _start ? "the server closed the connection" : "the server closed the connection in the middle of a packet", null);
            }

            _end += read;
        }
    }

    /// <summary>Copies <paramref name="count"/> payload bytes into <paramref name="destination"/>, bypassing the buffer for the rest.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ReadIntoAsync(byte[] destination, int offset, int count, IOBehavior io, CancellationToken cancellationToken)
    {
        var fromBuffer = Math.Min(count, _end - _start);
        Buffer.BlockCopy(_buffer, _start, destination, offset, fromBuffer);
        _start += fromBuffer;
        var done = fromBuffer;
        while (done < count)
        {
            var read = await ReadStreamAsync(destination.AsMemory(offset + done, count - done), io, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw ConnectionLost("the server closed the connection in the middle of a packet", null);
            }

            done += read;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadStreamAsync(Memory<byte> destination, IOBehavior io, CancellationToken cancellationToken)
    {
        try
        {
            return io == IOBehavior.Asynchronous
                ? await Stream.ReadAsync(destination, cancellationToken).ConfigureAwait(false)
                : Stream.Read(destination.Span);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw ConnectionLost("while reading from the server", ex);
        }
    }

    /// <summary>Makes room after the buffered bytes for at least <paramref name="count"/> bytes from the unread start.</summary>
    private void MakeRoom(int count)
    {
        if (_start == _end)
        {
            _start = 0;
            _end = 0;
        }
        else if (_buffer.Length - _start < count)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
    }

    private void CheckSequence(byte actual)
    {
        if (actual != SequenceId)
        {
            throw MySqlException.Protocol($"packet sequence id {actual} where {SequenceId} was expected");
        }

        SequenceId++;
    }

    private void ReturnLarge()
    {
        if (_large is not null)
        {
            ArrayPool<byte>.Shared.Return(_large);
            _large = null;
        }
    }

    private static bool IsConnectionFailure(Exception ex) =>
        ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException;

    private static MySqlException ConnectionLost(string what, Exception? inner) =>
        new(MySqlErrorCode.ConnectionLost, null, "Connection to the MySQL server was lost: " + what + ".", inner);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ReturnLarge();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
