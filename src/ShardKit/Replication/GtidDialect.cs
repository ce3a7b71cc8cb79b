using System.Data.Common;
using System.Globalization;
using ShardKit.MySqlClient;

namespace ShardKit.Replication;

/// <summary>
/// Everything that depends on the server's GTID flavour: what a GTID looks like, where a write's GTID is
/// read from, and how a replica is asked to wait for one. Only MariaDB GTIDs (<c>domain-server-sequence</c>)
/// are handled in this version; MySQL's (<c>uuid:n</c>, <c>WAIT_FOR_EXECUTED_GTID_SET</c>) belong here too.
/// </summary>
internal static class GtidDialect
{
    /// <summary>Whether <paramref name="gtid"/> is a MariaDB GTID list: <c>d-s-n</c> numbers, separated by commas.</summary>
    /// <remarks>The check is strict because the GTID is written into the wait statement as a literal.</remarks>
    public static bool IsWellFormed(ReadOnlySpan<char> gtid)
    {
        if (gtid.IsEmpty)
        {
            return false;
        }

        foreach (var range in gtid.Split(','))
        {
            var part = gtid[range];
            var fields = 0;
            foreach (var fieldRange in part.Split('-'))
            {
                var field = part[fieldRange];
                if (field.IsEmpty || field.Length > 20 || field.ContainsAnyExceptInRange('0', '9'))
                {
                    return false;
                }

                fields++;
            }

            if (fields != 3)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The GTID of the last transaction <paramref name="connection"/> committed, as reported by the server on the
    /// commit's reply (no round trip). Null for providers that do not report it, and before any commit.
    /// </summary>
    public static string? LastCommittedGtid(DbConnection connection) =>
        connection is MySqlConnection { LastCommittedGtid: { } gtid } && IsWellFormed(gtid) ? gtid : null;

    /// <summary>
    /// A statement that waits up to <paramref name="wait"/> for the replica to apply <paramref name="gtid"/>
    /// and returns 0 once it has (see <see cref="IsApplied"/>).
    /// </summary>
    public static string WaitStatement(string gtid, TimeSpan wait)
    {
        if (!IsWellFormed(gtid))
        {
            throw new ArgumentException($"'{gtid}' is not a GTID.", nameof(gtid));
        }

        var seconds = wait.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture);
        return string.Concat("SELECT MASTER_GTID_WAIT('", gtid, "', ", seconds, ")");
    }

    /// <summary>Whether the result of <see cref="WaitStatement"/> says the GTID has been applied (0; -1 is a timeout, NULL an error).</summary>
    public static bool IsApplied(object? result) =>
        result is not (null or DBNull) && Convert.ToInt64(result, CultureInfo.InvariantCulture) == 0;
}
