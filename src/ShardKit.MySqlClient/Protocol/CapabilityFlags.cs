namespace ShardKit.MySqlClient.Protocol;

/// <summary>Client/server capability flags of the handshake.</summary>
[Flags]
internal enum CapabilityFlags : uint
{
    None = 0,
    LongPassword = 1,
    FoundRows = 2,
    LongFlag = 4,
    ConnectWithDb = 8,
    Compress = 0x20,
    LocalFiles = 0x80,
    Protocol41 = 0x200,
    Interactive = 0x400,
    Ssl = 0x800,
    Transactions = 0x2000,
    SecureConnection = 0x8000,
    MultiStatements = 0x1_0000,
    MultiResults = 0x2_0000,
    PsMultiResults = 0x4_0000,
    PluginAuth = 0x8_0000,
    ConnectAttributes = 0x10_0000,
    PluginAuthLengthEncodedClientData = 0x20_0000,
    SessionTrack = 0x80_0000,
    DeprecateEof = 0x100_0000,
}
