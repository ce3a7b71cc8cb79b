using System.Globalization;

namespace ShardKit.Testing.Internal;

/// <summary>The one place where the harness speaks MariaDB's GTID and replication dialect.</summary>
internal static class Gtid
{
    public const string PauseApplySql = "STOP SLAVE SQL_THREAD";

    public const string ResumeApplySql = "START SLAVE SQL_THREAD";

    public static string CurrentPositionQuery(MariaDbRole role) =>
        role == MariaDbRole.Replica ? "SELECT @@GLOBAL.gtid_slave_pos" : "SELECT @@GLOBAL.gtid_binlog_pos";

    public static string WaitForPositionQuery(string position, TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT MASTER_GTID_WAIT('{position}', {timeout.TotalSeconds:0.###})");

    public static string StartReplicationSql(string host, int port, string user, string password) =>
        string.Create(CultureInfo.InvariantCulture,
            $"CHANGE MASTER TO MASTER_HOST='{host}', MASTER_PORT={port}, MASTER_USER='{user}', MASTER_PASSWORD='{password}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;");
}
