namespace ShardKit.MySqlClient.Protocol;

/// <summary>Server status flags carried by OK and EOF packets.</summary>
[Flags]
internal enum ServerStatus : ushort
{
    None = 0,
    InTransaction = 1,
    Autocommit = 2,
    MoreResultsExist = 8,
    NoBackslashEscapes = 0x200,
    SessionStateChanged = 0x4000,
}
