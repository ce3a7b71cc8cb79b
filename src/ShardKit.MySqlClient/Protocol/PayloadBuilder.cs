using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Builds one outgoing payload in a pooled, growable buffer that keeps 4 bytes free in front for the packet header.
/// </summary>
internal sealed class PayloadBuilder : IDisposable
{
    private const int HeaderSpace = 4;
    private byte[] _buffer;
    private int _position;

    public PayloadBuilder(int initialCapacity = 4096)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity + HeaderSpace);
        _position = HeaderSpace;
    }

    public int PayloadLength => _position - HeaderSpace;

    public ReadOnlyMemory<byte> Payload => new(_buffer, HeaderSpace, _position - HeaderSpace);

    public Memory<byte> FrameWithHeaderSpace => new(_buffer, 0, _position);

    public void Clear() => _position = HeaderSpace;

    /// <summary>Empties the builder and gives a buffer that grew past <paramref name="maxRetained"/> bytes back to the pool.</summary>
    public void Reset(int maxRetained = 256 * 1024)
    {
        _position = HeaderSpace;
        if (_buffer.Length > maxRetained)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(4096);
        }
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_position++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(_position), value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    public void WriteLengthEncodedInteger(ulong value)
    {
        switch (value)
        {
            case < 0xFB:
                WriteByte((byte)value);
                break;
            case <= 0xFFFF:
                WriteByte(0xFC);
                WriteUInt16((ushort)value);
                break;
            case <= 0xFF_FFFF:
                WriteByte(0xFD);
                WriteByte((byte)value);
                WriteUInt16((ushort)(value >> 8));
                break;
            default:
                WriteByte(0xFE);
                Ensure(8);
                BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
                _position += 8;
                break;
        }
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_position));
        _position += value.Length;
    }

    public void WriteZeros(int count)
    {
        Ensure(count);
        _buffer.AsSpan(_position, count).Clear();
        _position += count;
    }

    public void WriteLengthEncodedBytes(ReadOnlySpan<byte> value)
    {
        WriteLengthEncodedInteger((ulong)value.Length);
        WriteBytes(value);
    }

    public void WriteLengthEncodedString(string value)
    {
        WriteLengthEncodedInteger((ulong)Encoding.UTF8.GetByteCount(value));
        WriteUtf8(value);
    }

    public void WriteUtf8(ReadOnlySpan<char> value)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length));
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
    }

    public void WriteAscii(string value)
    {
        Ensure(value.Length);
        _position += Encoding.ASCII.GetBytes(value, _buffer.AsSpan(_position));
    }

    public void WriteNullTerminatedString(string value)
    {
        WriteUtf8(value);
        WriteByte(0);
    }

    /// <summary>Returns a span of at least <paramref name="sizeHint"/> writable bytes; call <see cref="Advance"/> after writing.</summary>
    public Span<byte> GetSpan(int sizeHint)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_position);
    }

    public void Advance(int count) => _position += count;

    private void Ensure(int count)
    {
        if (_buffer.Length - _position >= count)
        {
            return;
        }

        var needed = (long)_position + count;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("The statement is too large to send.");
        }

        var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max(needed, _buffer.Length * 2L)));
        Buffer.BlockCopy(_buffer, 0, grown, 0, _position);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
