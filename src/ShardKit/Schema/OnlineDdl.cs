using System.Data.Common;
using System.Text.RegularExpressions;
using MySqlConnector;

namespace ShardKit.Schema;

/// <summary>
/// The online DDL rules of <see cref="SchemaApplier"/>, and the one place that knows the servers' syntax and error
/// numbers for them (MariaDB 10.6+ and MySQL 8 agree on both). An <c>ALTER TABLE</c>, <c>CREATE INDEX</c> or
/// <c>DROP INDEX</c> is tried with <c>ALGORITHM=INSTANT</c>, then with <c>ALGORITHM=INPLACE, LOCK=NONE</c>; when the
/// server refuses both (errors 1845/1846, SQLSTATE 0A000) the statement would copy the table or block writes and is
/// refused unless blocking DDL is allowed, when it runs as written. A statement that names its own
/// <c>ALGORITHM</c> or <c>LOCK</c>, and every other statement (<c>CREATE TABLE</c>, <c>DROP TABLE</c>, ...), runs as written.
/// </summary>
internal static partial class OnlineDdl
{
    /// <summary>ER_ALTER_OPERATION_NOT_SUPPORTED: "ALGORITHM=X is not supported for this operation".</summary>
    public const int NotSupported = 1845;

    /// <summary>ER_ALTER_OPERATION_NOT_SUPPORTED_REASON: "X is not supported. Reason: ...".</summary>
    public const int NotSupportedReason = 1846;

    /// <summary>What kind of statement <paramref name="statement"/> is for the online rules.</summary>
    public static DdlKind Classify(string statement)
    {
        var text = StripComments(statement);
        if (AlterTable().IsMatch(text))
        {
            return DdlKind.AlterTable;
        }

        if (CreateIndex().IsMatch(text) || DropIndex().IsMatch(text))
        {
            return DdlKind.Index;
        }

        return DdlKind.Other;
    }

    /// <summary>Whether the statement already says how to run (<c>ALGORITHM=</c> or <c>LOCK=</c> outside quotes and comments).</summary>
    public static bool NamesAlgorithmOrLock(string statement) => AlgorithmOrLock().IsMatch(StripQuoted(StripComments(statement)));

    /// <summary>The algorithms to try, in order, for a statement: none (run as written) for statements the rules leave alone.</summary>
    public static IReadOnlyList<DdlAlgorithm> Ladder(string statement) =>
        Classify(statement) == DdlKind.Other || NamesAlgorithmOrLock(statement) ? [DdlAlgorithm.AsWritten] : [DdlAlgorithm.Instant, DdlAlgorithm.InplaceNoLock];

    /// <summary>
    /// <paramref name="statement"/> with the clause of <paramref name="algorithm"/> appended: <c>, ALGORITHM=INSTANT</c> to an
    /// <c>ALTER TABLE</c>, <c> ALGORITHM=INSTANT</c> to a <c>CREATE</c>/<c>DROP INDEX</c>.
    /// </summary>
    public static string With(string statement, DdlAlgorithm algorithm)
    {
        if (algorithm is DdlAlgorithm.AsWritten or DdlAlgorithm.Blocking)
        {
            return statement;
        }

        var text = statement.TrimEnd().TrimEnd(';').TrimEnd();
        var separator = Classify(text) == DdlKind.AlterTable ? ", " : " ";
        return algorithm == DdlAlgorithm.Instant
            ? text + separator + "ALGORITHM=INSTANT"
            : text + separator + "ALGORITHM=INPLACE" + separator + "LOCK=NONE";
    }

    /// <summary>Whether the server refused the algorithm or lock level asked for (so a weaker one may be tried).</summary>
    public static bool IsAlgorithmRefused(DbException exception) =>
        exception is MySqlException mysql
            ? mysql.Number is NotSupported or NotSupportedReason
            : exception.SqlState == "0A000" || exception.Message.Contains("is not supported", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the error says the change is already there: duplicate column (1060), duplicate key name (1061), table
    /// exists (1050), or nothing to drop (1091). Only trusted for a shard a previous run started.
    /// </summary>
    public static bool IsAlreadyApplied(DbException exception) =>
        exception is MySqlException { Number: 1060 or 1061 or 1050 or 1091 };

    /// <summary>The statement's first line, shortened, for messages.</summary>
    public static string Describe(string statement)
    {
        var line = StripComments(statement).Trim().Split('\n')[0].Trim();
        return line.Length <= 80 ? line : string.Concat(line.AsSpan(0, 77), "...");
    }

    private static string StripComments(string statement) => Comments().Replace(statement, " ").Trim();

    private static string StripQuoted(string statement) => Quoted().Replace(statement, "''");

    [GeneratedRegex(@"^\s*ALTER\s+(ONLINE\s+|IGNORE\s+)*TABLE\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AlterTable();

    [GeneratedRegex(@"^\s*CREATE\s+(OR\s+REPLACE\s+)?(ONLINE\s+)?(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CreateIndex();

    [GeneratedRegex(@"^\s*DROP\s+(ONLINE\s+)?INDEX\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DropIndex();

    [GeneratedRegex(@"\b(ALGORITHM|LOCK)\s*=?\s*(DEFAULT|INSTANT|INPLACE|COPY|NOCOPY|NONE|SHARED|EXCLUSIVE)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AlgorithmOrLock();

    [GeneratedRegex(@"/\*.*?\*/|(--\s|#)[^\n]*", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Comments();

    [GeneratedRegex(@"'(?:[^'\\]|\\.|'')*'|""(?:[^""\\]|\\.|"""")*""|`(?:[^`]|``)*`", RegexOptions.CultureInvariant)]
    private static partial Regex Quoted();
}
