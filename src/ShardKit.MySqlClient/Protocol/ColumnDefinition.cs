namespace ShardKit.MySqlClient.Protocol;

/// <summary>A Protocol::ColumnDefinition41 packet.</summary>
internal sealed class ColumnDefinition
{
    /// <summary>The character set number of binary data.</summary>
    public const ushort BinaryCharacterSet = 63;

    private ColumnDefinition(string name, ushort characterSet, uint columnLength, ColumnType type, ColumnFlags flags, byte decimals)
    {
        Name = name;
        CharacterSet = characterSet;
        ColumnLength = columnLength;
        Type = type;
        Flags = flags;
        Decimals = decimals;
    }

    public string Name { get; }

    public ushort CharacterSet { get; }

    public uint ColumnLength { get; }

    public ColumnType Type { get; }

    public ColumnFlags Flags { get; }

    public byte Decimals { get; }

    public bool IsUnsigned => (Flags & ColumnFlags.Unsigned) != 0;

    public bool IsBinary => CharacterSet == BinaryCharacterSet;

    public static ColumnDefinition Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        reader.ReadLengthEncodedBytes(); // catalog
        reader.ReadLengthEncodedBytes(); // schema
        reader.ReadLengthEncodedBytes(); // table alias
        reader.ReadLengthEncodedBytes(); // original table
        var name = reader.ReadLengthEncodedString();
        reader.ReadLengthEncodedBytes(); // original name
        var fixedLength = reader.ReadLengthEncodedInteger();
        if (fixedLength < 10)
        {
            throw MySqlException.Protocol($"column definition fixed-length fields of {fixedLength} bytes");
        }

        var characterSet = reader.ReadUInt16();
        var columnLength = reader.ReadUInt32();
        var type = (ColumnType)reader.ReadByte();
        var flags = (ColumnFlags)reader.ReadUInt16();
        var decimals = reader.ReadByte();
        reader.Skip((int)Math.Min(fixedLength - 10, int.MaxValue));
        return new ColumnDefinition(name, characterSet, columnLength, type, flags, decimals);
    }
}
