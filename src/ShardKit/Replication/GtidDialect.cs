using System.Buffers;
using System.Data.Common;
using System.Globalization;
using MySqlConnector;

namespace ShardKit.Replication;

/// <summary>
/// Everything that depends on the server's GTID flavour: what a GTID looks like, where a write's GTID is read from, and
/// how a replica is asked to wait for one. MariaDB GTIDs are <c>domain-server-sequence</c> lists (<c>0-1-42,1-2-7</c>),
/// read after a commit from the session's <c>@@last_gtid</c> and waited for with <c>MASTER_GTID_WAIT</c>; MySQL GTIDs
/// are sets of <c>uuid:interval[:interval...]</c> (<c>3e11fa47-71ca-11e1-9e33-c80aa9429562:23</c>, optionally with tags),
/// read from <c>@@GLOBAL.gtid_executed</c> (every transaction the server has committed: a superset of the session's own,
/// so waiting for it is still correct) and waited for with <c>WAIT_FOR_EXECUTED_GTID_SET</c>. The two formats
/// cannot be confused, so a token's GTID names its flavour; the replica's flavour comes from the server version of the
/// handshake, and a token of the other flavour is never sent to it.
/// </summary>
internal static class GtidDialect
{
    private const int MaxTagLength = 32;
    private static readonly SearchValues<char> s_tagCharacters = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789_");

    /// <summary>Whether <paramref name="gtid"/> is a GTID of either flavour.</summary>
    /// <remarks>The checks are strict because the GTID is written into the wait statement as a literal.</remarks>
    public static bool IsWellFormed(ReadOnlySpan<char> gtid) => FlavorOf(gtid) is not null;

    /// <summary>The flavour of <paramref name="gtid"/>, or null when it is neither a MariaDB nor a MySQL GTID.</summary>
    public static GtidFlavor? FlavorOf(ReadOnlySpan<char> gtid) =>
        IsMariaDbGtid(gtid) ? GtidFlavor.MariaDb
        : IsMySqlGtidSet(gtid) ? GtidFlavor.MySql
        : null;

    /// <summary>
    /// The flavour of a server from the version string of its handshake (<see cref="DbConnection.ServerVersion"/>, no round
    /// trip): MariaDB when it says so or its major version is 10 or more (MariaDB's numbering), MySQL for majors 5 to 9;
    /// null when the version cannot be read.
    /// </summary>
    public static GtidFlavor? ServerFlavor(string? serverVersion)
    {
        if (string.IsNullOrEmpty(serverVersion))
        {
            return null;
        }

        if (serverVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
        {
            return GtidFlavor.MariaDb;
        }

        var dot = serverVersion.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !int.TryParse(serverVersion.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var major))
        {
            return null;
        }

        return major >= 10 ? GtidFlavor.MariaDb : major >= 5 ? GtidFlavor.MySql : null;
    }

    /// <summary>
    /// The GTID of the last transaction <paramref name="connection"/> committed, read from the server on the same session
    /// (one round trip): MariaDB's <c>@@last_gtid</c>, or MySQL's <c>@@GLOBAL.gtid_executed</c>. Null when the server
    /// reports none (no write committed on this session yet, or binary logging off).
    /// </summary>
    public static async ValueTask<string?> ReadLastCommittedGtidAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = LastCommittedGtidQuery(connection.ServerVersion);
            return ParseLastCommittedGtid(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>The statement that reads the session's last committed GTID on a server of <paramref name="serverVersion"/> (to batch it after a COMMIT).</summary>
    public static string LastCommittedGtidQuery(string serverVersion) =>
        ServerFlavor(serverVersion) == GtidFlavor.MySql ? "SELECT @@GLOBAL.gtid_executed" : "SELECT @@last_gtid";

    /// <summary>The GTID read by <see cref="LastCommittedGtidQuery"/>, or <see langword="null"/> when there is none or it is malformed.</summary>
    public static string? ParseLastCommittedGtid(object? scalar)
    {
        // MySQL prints a long set over several lines.
        var value = (scalar as string)?.Replace("\n", "", StringComparison.Ordinal);
        return value is { Length: > 0 } && IsWellFormed(value) ? value : null;
    }

    /// <summary>
    /// The statement that reads everything a primary of <paramref name="serverVersion"/> has committed and logged so far, as one
    /// GTID position a replica can wait for with <see cref="WaitStatement"/>: MariaDB's <c>@@GLOBAL.gtid_binlog_pos</c> (the last
    /// GTID of every domain in its binary log), MySQL's <c>@@GLOBAL.gtid_executed</c>. Read its result with <see cref="ParseLastCommittedGtid"/>.
    /// </summary>
    public static string CurrentPositionQuery(string serverVersion) =>
        ServerFlavor(serverVersion) == GtidFlavor.MySql ? "SELECT @@GLOBAL.gtid_executed" : "SELECT @@GLOBAL.gtid_binlog_pos";

    /// <summary>
    /// A statement that waits up to <paramref name="wait"/> for a replica to apply <paramref name="gtid"/> and returns 0
    /// once it has (see <see cref="IsApplied"/>): <c>MASTER_GTID_WAIT</c> for a MariaDB GTID (-1 on timeout),
    /// <c>WAIT_FOR_EXECUTED_GTID_SET</c> for a MySQL one (1 on timeout).
    /// </summary>
    public static string WaitStatement(string gtid, TimeSpan wait)
    {
        var seconds = wait.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture);
        return FlavorOf(gtid) switch
        {
            GtidFlavor.MariaDb => string.Concat("SELECT MASTER_GTID_WAIT('", gtid, "', ", seconds, ")"),
            GtidFlavor.MySql => string.Concat("SELECT WAIT_FOR_EXECUTED_GTID_SET('", gtid, "', ", seconds, ")"),
            _ => throw new ArgumentException($"'{gtid}' is not a GTID.", nameof(gtid)),
        };
    }

    /// <summary>Whether the result of <see cref="WaitStatement"/> says the GTID has been applied (0; a timeout is -1 or 1, NULL an error).</summary>
    public static bool IsApplied(object? result) =>
        result is not (null or DBNull) && Convert.ToInt64(result, CultureInfo.InvariantCulture) == 0;

    /// <summary>MariaDB: <c>d-s-n</c> numbers, separated by commas.</summary>
    private static bool IsMariaDbGtid(ReadOnlySpan<char> gtid)
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
                if (!IsNumber(part[fieldRange]))
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

    /// <summary>MySQL: <c>uuid(:tag|:n|:n-m)+</c> sets separated by commas, ending in an interval.</summary>
    private static bool IsMySqlGtidSet(ReadOnlySpan<char> gtid)
    {
        if (gtid.IsEmpty)
        {
            return false;
        }

        foreach (var range in gtid.Split(','))
        {
            var set = gtid[range];
            var elements = 0;
            var lastWasInterval = false;
            foreach (var elementRange in set.Split(':'))
            {
                var element = set[elementRange];
                if (elements == 0)
                {
                    if (!IsUuid(element))
                    {
                        return false;
                    }
                }
                else if (IsInterval(element))
                {
                    lastWasInterval = true;
                }
                else if (IsTag(element))
                {
                    lastWasInterval = false;
                }
                else
                {
                    return false;
                }

                elements++;
            }

            if (elements < 2 || !lastWasInterval)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsUuid(ReadOnlySpan<char> text)
    {
        if (text.Length != 36)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var dash = i is 8 or 13 or 18 or 23;
            if (dash ? text[i] != '-' : !char.IsAsciiHexDigit(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsInterval(ReadOnlySpan<char> text)
    {
        var dash = text.IndexOf('-');
        return dash < 0 ? IsNumber(text) : IsNumber(text[..dash]) && IsNumber(text[(dash + 1)..]);
    }

    private static bool IsTag(ReadOnlySpan<char> text) =>
        text.Length is > 0 and <= MaxTagLength
        && (char.IsAsciiLetterLower(text[0]) || text[0] == '_')
        && !text.ContainsAnyExcept(s_tagCharacters);

    private static bool IsNumber(ReadOnlySpan<char> text) =>
        !text.IsEmpty && text.Length <= 20 && !text.ContainsAnyExceptInRange('0', '9');
}
