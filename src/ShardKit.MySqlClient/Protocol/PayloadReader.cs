using System.Buffers.Binary;
using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Reads protocol fields from one packet payload. Every read is bounds-checked: a field that runs past the
/// end of the payload throws <see cref="MySqlException"/> with <see cref="MySqlErrorCode.ProtocolError"/>.
/// </summary>
internal ref struct PayloadReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _offset;

    public PayloadReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _offset = 0;
    }

    public readonly int Offset => _offset;

    public readonly int Remaining => _data.Length - _offset;

    public readonly ReadOnlySpan<byte> RemainingSpan => _data[_offset..];

    public byte ReadByte()
    {
        Require(1, "byte");
        return _data[_offset++];
    }

    public readonly byte PeekByte()
    {
        if (_offset >= _data.Length)
        {
            throw MySqlException.Protocol("unexpected end of packet");
        }

        return _data[_offset];
    }

    public ushort ReadUInt16()
    {
        Require(2, "2-byte integer");
        var value = BinaryPrimitives.ReadUInt16LittleEndian(_data[_offset..]);
        _offset += 2;
        return value;
    }

    public uint ReadUInt24()
    {
        Require(3, "3-byte integer");
        var value = (uint)(_data[_offset] | (_data[_offset + 1] << 8) | (_data[_offset + 2] << 16));
        _offset += 3;
        return value;
    }

    public uint ReadUInt32()
    {
        Require(4, "4-byte integer");
        var value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_offset..]);
        _offset += 4;
        return value;
    }

    public ulong ReadUInt64()
    {
        Require(8, "8-byte integer");
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_offset..]);
        _offset += 8;
        return value;
    }

    /// <summary>Reads a length-encoded integer; 0xFB (NULL) and 0xFF are rejected here.</summary>
    public ulong ReadLengthEncodedInteger()
    {
        var first = ReadByte();
        return first switch
        {
            < 0xFB => first,
            0xFC => ReadUInt16(),
            0xFD => ReadUInt24(),
            0xFE => ReadUInt64(),
            _ => throw MySqlException.Protocol($"invalid length-encoded integer prefix 0x{first:X2}"),
        };
    }

    /// <summary>Reads a length-encoded integer that must fit in the remaining payload (a length prefix).</summary>
    public int ReadLengthEncodedLength()
    {
        var value = ReadLengthEncodedInteger();
        if (value > (ulong)Remaining)
        {
            throw MySqlException.Protocol($"length {value} exceeds the {Remaining} bytes left in the packet");
        }

        return (int)value;
    }

    public ReadOnlySpan<byte> ReadLengthEncodedBytes() => ReadBytes(ReadLengthEncodedLength());

    public string ReadLengthEncodedString() => Encoding.UTF8.GetString(ReadLengthEncodedBytes());

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0)
        {
            throw MySqlException.Protocol("negative field length");
        }

        Require(count, "field");
        var span = _data.Slice(_offset, count);
        _offset += count;
        return span;
    }

    public void Skip(int count) => ReadBytes(count);

    public ReadOnlySpan<byte> ReadNullTerminatedBytes()
    {
        var rest = _data[_offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            throw MySqlException.Protocol("missing NUL terminator");
        }

        _offset += end + 1;
        return rest[..end];
    }

    public string ReadNullTerminatedString() => Encoding.UTF8.GetString(ReadNullTerminatedBytes());

    /// <summary>Reads up to a NUL terminator or to the end of the payload, whichever comes first.</summary>
    public string ReadNullTerminatedOrEofString()
    {
        var rest = _data[_offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
        {
            _offset = _data.Length;
            return Encoding.UTF8.GetString(rest);
        }

        _offset += end + 1;
        return Encoding.UTF8.GetString(rest[..end]);
    }

    public ReadOnlySpan<byte> ReadToEnd()
    {
        var rest = _data[_offset..];
        _offset = _data.Length;
        return rest;
    }

    private readonly void Require(int count, string what)
    {
        if (count > _data.Length - _offset)
        {
            throw MySqlException.Protocol($"packet ended inside a {what}");
        }
    }
}
