namespace ShardKit.MySqlClient;

/// <summary>
/// Error numbers a <see cref="MySqlException"/> can carry: server error numbers (below 2000 or 4000 and up)
/// and client-side conditions detected by this driver (2000-2999, following the MySQL client library ranges).
/// </summary>
public enum MySqlErrorCode
{
    /// <summary>No specific error number is known.</summary>
    None = 0,

    /// <summary>Access denied for the user (wrong user name or password), server error 1045.</summary>
    AccessDenied = 1045,

    /// <summary>The requested database does not exist, server error 1049.</summary>
    UnknownDatabase = 1049,

    /// <summary>A column name is unknown, server error 1054.</summary>
    BadFieldError = 1054,

    /// <summary>A duplicate value for a unique or primary key, server error 1062.</summary>
    DuplicateKeyEntry = 1062,

    /// <summary>The SQL text has a syntax error, server error 1064.</summary>
    ParseError = 1064,

    /// <summary>A table does not exist, server error 1146.</summary>
    NoSuchTable = 1146,

    /// <summary>The connection was killed on the server, server error 1927 (MariaDB) or 1053 (server shutdown).</summary>
    ServerShutdown = 1053,

    /// <summary>A packet was larger than the server's max_allowed_packet, server error 1153.</summary>
    PacketTooLarge = 1153,

    /// <summary>A lock could not be acquired before innodb_lock_wait_timeout, server error 1205.</summary>
    LockWaitTimeout = 1205,

    /// <summary>A deadlock was detected and this transaction was rolled back, server error 1213.</summary>
    LockDeadlock = 1213,

    /// <summary>The server runs with an option (typically read_only) that prevents the statement, server error 1290.</summary>
    OptionPreventsStatement = 1290,

    /// <summary>The statement was interrupted (for example by KILL QUERY), server error 1317.</summary>
    QueryInterrupted = 1317,

    /// <summary>A write was attempted in a read-only transaction, server error 1792.</summary>
    CannotExecuteInReadOnlyTransaction = 1792,

    /// <summary>The server is in read-only mode (MySQL super_read_only), server error 1836.</summary>
    ReadOnlyTransaction = 1836,

    /// <summary>The connection was killed on the server, server error 1927 (MariaDB).</summary>
    ConnectionKilled = 1927,

    /// <summary>The statement exceeded max_statement_time, server error 1969 (MariaDB).</summary>
    StatementTimeout = 1969,

    /// <summary>The driver could not open a TCP connection to the server within the connection timeout.</summary>
    UnableToConnectToHost = 2002,

    /// <summary>The connection to the server was lost (closed, reset or broken pipe).</summary>
    ConnectionLost = 2013,

    /// <summary>The command did not finish within its <c>CommandTimeout</c>; the server-side query was killed.</summary>
    CommandTimeout = 2062,

    /// <summary>All connections in the pool were in use for longer than the connection timeout.</summary>
    PoolExhausted = 2063,

    /// <summary>The server sent a packet that does not follow the MySQL client/server protocol.</summary>
    ProtocolError = 2027,

    /// <summary>TLS was required but could not be negotiated, or the server certificate was rejected.</summary>
    TlsFailed = 2026,

    /// <summary>The server asked for an authentication method or exchange the driver cannot complete.</summary>
    AuthenticationFailed = 2059,
}
