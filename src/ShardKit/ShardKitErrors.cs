using System.Net.Sockets;
using MySqlConnector;

namespace ShardKit;

/// <summary>
/// Tells which failures of routed work are worth retrying later: the server could not be reached, the connection was lost,
/// a command ran past its timeout, a lock wait timed out or a deadlock chose this transaction, the server is shutting down
/// or has too many connections, or ShardKit itself refused the call for a transient reason
/// (<see cref="ShardKitException.IsTransient"/>). A wrong password, a missing table or a syntax error is permanent.
/// </summary>
public static class ShardKitErrors
{
    /// <summary>Whether <paramref name="exception"/> (or the driver error it wraps) is transient: the same call may succeed later.</summary>
    /// <param name="exception">A failure of routed work.</param>
    public static bool IsTransient(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            ShardKitException shardKit => shardKit.IsTransient,
            MySqlException mySql => IsTransientDriverError(mySql),
            System.Data.Common.DbException db => db.IsTransient,
            TimeoutException => true,
            _ => false,
        };
    }

    /// <summary>Whether <paramref name="exception"/> reports that the server refused the account's credentials (not transient).</summary>
    /// <param name="exception">A failure of routed work.</param>
    public static bool IsAccessDenied(Exception exception) =>
        Find(exception) is { ErrorCode: MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied };

    private static bool IsTransientDriverError(MySqlException exception) =>
        exception.IsTransient
        || exception.ErrorCode is MySqlErrorCode.CommandTimeoutExpired
            or MySqlErrorCode.ServerShutdown
            or MySqlErrorCode.QueryInterrupted
            or MySqlErrorCode.TooManyUserConnections
        || IsConnectionLost(exception);

    private static bool IsConnectionLost(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is IOException or SocketException or EndOfStreamException or ObjectDisposedException)
            {
                return true;
            }
        }

        return exception is MySqlException { ErrorCode: MySqlErrorCode.UnableToConnectToHost };
    }

    private static MySqlException? Find(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is MySqlException mySql)
            {
                return mySql;
            }
        }

        return null;
    }
}
