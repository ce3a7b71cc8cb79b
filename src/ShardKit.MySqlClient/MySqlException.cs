using System.Data.Common;

namespace ShardKit.MySqlClient;

/// <summary>The exception thrown for every server error and every client-side failure of the MySQL driver.</summary>
public sealed class MySqlException : DbException
{
    /// <summary>Creates an exception with an error code, an optional SQL state and a message.</summary>
    public MySqlException(MySqlErrorCode errorCode, string? sqlState, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Number = (int)errorCode;
        SqlStateValue = sqlState;
    }

    /// <summary>Creates an exception for a raw server error number.</summary>
    internal MySqlException(int number, string? sqlState, string message)
        : base(message)
    {
        Number = number;
        SqlStateValue = sqlState;
    }

    /// <summary>Creates an exception with <see cref="MySqlErrorCode.None"/>.</summary>
    public MySqlException()
        : this(MySqlErrorCode.None, null, "A MySQL error occurred.")
    {
    }

    /// <summary>Creates an exception with <see cref="MySqlErrorCode.None"/> and a message.</summary>
    public MySqlException(string message)
        : this(MySqlErrorCode.None, null, message)
    {
    }

    /// <summary>Creates an exception with <see cref="MySqlErrorCode.None"/>, a message and an inner exception.</summary>
    public MySqlException(string message, Exception innerException)
        : this(MySqlErrorCode.None, null, message, innerException)
    {
    }

    private string? SqlStateValue { get; }

    /// <summary>The server error number or client-side error code, as an integer.</summary>
    public int Number { get; }

    /// <summary>The error as a <see cref="MySqlErrorCode"/> (numbers without a named member keep their value).</summary>
    public new MySqlErrorCode ErrorCode => (MySqlErrorCode)Number;

    /// <summary>The five-character SQLSTATE the server reported, or <see langword="null"/> for client-side errors.</summary>
    public override string? SqlState => SqlStateValue;

    /// <summary>Whether retrying the same operation later may succeed (deadlocks, lock waits, lost connections, timeouts, read-only servers).</summary>
    public override bool IsTransient => ErrorCode is MySqlErrorCode.LockDeadlock
        or MySqlErrorCode.LockWaitTimeout
        or MySqlErrorCode.ConnectionLost
        or MySqlErrorCode.UnableToConnectToHost
        or MySqlErrorCode.CommandTimeout
        or MySqlErrorCode.PoolExhausted
        or MySqlErrorCode.QueryInterrupted
        or MySqlErrorCode.OptionPreventsStatement
        or MySqlErrorCode.ReadOnlyTransaction
        or MySqlErrorCode.ServerShutdown
        or MySqlErrorCode.ConnectionKilled;

    internal static MySqlException Protocol(string what) =>
        new(MySqlErrorCode.ProtocolError, null, "Malformed packet from the server: " + what + ".");
}
