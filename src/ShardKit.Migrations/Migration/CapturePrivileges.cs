using System.Data.Common;
using Dapper;
using MySqlConnector;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// What a job's capture triggers (a shard move's, the legacy import's) need of a server and of the migrator's account before
/// anything is installed, and how a refusal is told to the DBA: creating triggers with the binary log on needs
/// <c>log_bin_trust_function_creators = 1</c> or <c>SUPER</c>; every other grant is in docs/migration.md ("The migrator's account").
/// </summary>
internal static class CapturePrivileges
{
    /// <summary>Where the DBA finds the grants.</summary>
    public const string Docs = "docs/migration.md, \"The migrator's account\"";

    // Whether the binary log is on, whether the server trusts function (and trigger) creators, whether the session's account
    // holds SUPER (its own global privileges, as information_schema shows them to it), whether a role is active, and who the account is.
    private const string TriggerSettingsQuery =
        """
        SELECT CAST(@@GLOBAL.log_bin AS SIGNED) AS LogBin, CAST(@@GLOBAL.log_bin_trust_function_creators AS SIGNED) AS TrustCreators,
               CAST(EXISTS (SELECT 1 FROM information_schema.user_privileges
                            WHERE privilege_type = 'SUPER'
                              AND grantee = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')) AS SIGNED) AS HasSuper,
               CAST(CURRENT_ROLE() IS NOT NULL AS SIGNED) AS HasRole,
               CURRENT_USER() AS Account
        """;

    /// <summary>How a refusal names a cluster's primary: <c>cluster 'c1' (10.0.0.5:3306)</c>.</summary>
    public static string Describe(ShardCluster cluster) => $"cluster '{cluster.Name}' ({cluster.Primary.Address})";

    /// <summary>
    /// Checks that the account may create capture triggers on <paramref name="server"/> (<see cref="Describe"/>, or the legacy
    /// server); returns why not (one sentence naming the setting, the privilege and what to do), or null when it may.
    /// </summary>
    public static async Task<string?> CheckTriggersAsync(DbConnection connection, string server, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleAsync<(long LogBin, long TrustCreators, long HasSuper, long HasRole, string Account)>(
            new CommandDefinition(TriggerSettingsQuery, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // A role may carry SUPER where the account's own privileges do not show it: then the server decides, and a refused
        // CREATE TRIGGER undoes the start all the same.
        if (row.LogBin == 0 || row.TrustCreators != 0 || row.HasSuper != 0 || row.HasRole != 0)
        {
            return null;
        }

        return $"{server} has the binary log on and log_bin_trust_function_creators = 0, so creating the capture " +
            $"triggers needs the SUPER privilege, which account {Quote(row.Account)} does not have. On that server run " +
            "`SET GLOBAL log_bin_trust_function_creators = 1` (and set log_bin_trust_function_creators = 1 in its configuration so a restart keeps it), " +
            $"or grant the account SUPER; the migrator's grants are in {Docs}";
    }

    /// <summary>
    /// Whether <paramref name="exception"/> is the server refusing the migrator's account something (a missing grant, or SUPER for
    /// triggers with the binary log on): no retry or resume fixes it until a DBA changes the grants or the server's settings.
    /// </summary>
    public static bool IsRefusal(Exception exception) =>
        exception is MySqlException { Number: DatabaseAccessDenied or TableAccessDenied or ColumnAccessDenied or SpecificAccessDenied or NeedSuperForRoutine };

    /// <summary>The server's refusal in words a DBA acts on: what was refused, on which cluster, and where the grants are.</summary>
    public static string Explain(Exception exception, string server) => exception is MySqlException { Number: NeedSuperForRoutine }
        ? $"{server} refused to create the capture triggers: the binary log is on, log_bin_trust_function_creators = 0 " +
          "and the account has no SUPER. Run `SET GLOBAL log_bin_trust_function_creators = 1` on that server (and set it in its configuration), " +
          $"or grant the account SUPER; the migrator's grants are in {Docs}"
        : $"{server} refused the migrator's account: {exception.Message.TrimEnd('.')}. " +
          $"Grant the account what {Docs} lists";

    private static string Quote(string account)
    {
        var at = account.LastIndexOf('@');
        return at < 0 ? $"'{account}'" : $"'{account[..at]}'@'{account[(at + 1)..]}'";
    }

    // ER_DBACCESS_DENIED_ERROR: "Access denied for user 'u'@'h' to database 'd'".
    private const int DatabaseAccessDenied = 1044;

    // ER_TABLEACCESS_DENIED_ERROR: "TRIGGER command denied to user 'u'@'h' for table 't'".
    private const int TableAccessDenied = 1142;

    // ER_COLUMNACCESS_DENIED_ERROR.
    private const int ColumnAccessDenied = 1143;

    // ER_SPECIFIC_ACCESS_DENIED_ERROR: "you need (at least one of) the X privilege(s) for this operation".
    private const int SpecificAccessDenied = 1227;

    // ER_BINLOG_CREATE_ROUTINE_NEED_SUPER: "You do not have the SUPER privilege and binary logging is enabled (...)".
    private const int NeedSuperForRoutine = 1419;
}
