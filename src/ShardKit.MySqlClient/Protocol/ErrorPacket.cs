using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>The server's ERR packet: 0xFF, a 2-byte error number, '#' and a 5-character SQL state, and a message.</summary>
internal readonly record struct ErrorPacket(int Number, string? SqlState, string Message)
{
    public const byte Header = 0xFF;

    public static ErrorPacket Parse(ReadOnlySpan<byte> payload, bool protocol41 = true)
    {
        var reader = new PayloadReader(payload);
        if (reader.ReadByte() != Header)
        {
            throw MySqlException.Protocol("an ERR packet does not start with 0xFF");
        }

        var number = reader.ReadUInt16();
        string? sqlState = null;
        if (protocol41 && reader.Remaining >= 6 && reader.PeekByte() == (byte)'#')
        {
            reader.ReadByte();
            sqlState = Encoding.ASCII.GetString(reader.ReadBytes(5));
        }

        return new ErrorPacket(number, sqlState, Encoding.UTF8.GetString(reader.ReadToEnd()));
    }

    public MySqlException ToException() => new(Number, SqlState, Message);
}
