using System.Globalization;

namespace ShardKit.Testing.Internal;

/// <summary>The one place where the harness speaks MariaDB's GTID and replication dialect.</summary>
internal static class Gtid
{
    public const string PauseApplySql = "STOP SLAVE SQL_THREAD";

    public const string ResumeApplySql = "START SLAVE SQL_THREAD";

    public const string StartSql = "START SLAVE";

    public const string SlaveAndBinlogPositionQuery = "SELECT @@GLOBAL.gtid_slave_pos, @@GLOBAL.gtid_binlog_pos";

    public static string CurrentPositionQuery(MariaDbRole role) =>
        role == MariaDbRole.Replica ? "SELECT @@GLOBAL.gtid_slave_pos" : "SELECT @@GLOBAL.gtid_binlog_pos";

    public static string WaitForPositionQuery(string position, TimeSpan timeout) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT MASTER_GTID_WAIT('{position}', {timeout.TotalSeconds:0.###})");

    public static string StartReplicationSql(string host, int port, string user, string password) =>
        string.Create(CultureInfo.InvariantCulture,
            $"CHANGE MASTER TO MASTER_HOST='{host}', MASTER_PORT={port}, MASTER_USER='{user}', MASTER_PASSWORD='{password}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;");

    public static string SetSlavePositionSql(string position) => $"SET GLOBAL gtid_slave_pos = '{position}'";

    /// <summary>
    /// The slave position a restarted replica must resume from, or null when its own is right: for each domain whose
    /// newest binlogged GTID was replicated (written by another server) and is newer than the slave position, that
    /// GTID. With log_slave_updates the replica's binlog is the true record of what it applied (crash recovery keeps it
    /// consistent with InnoDB, atomic DDL with the data dictionary); only gtid_slave_pos can lag it, after a DDL.
    /// </summary>
    public static string? RecoveredSlavePosition(string slavePosition, string binlogPosition, int ownServerId)
    {
        var slave = Parse(slavePosition);
        var changed = false;
        foreach (var (domain, binlogged) in Parse(binlogPosition))
        {
            if (binlogged.ServerId != (uint)ownServerId && (!slave.TryGetValue(domain, out var applied) || binlogged.Sequence > applied.Sequence))
            {
                slave[domain] = binlogged;
                changed = true;
            }
        }

        return changed
            ? string.Join(',', slave.OrderBy(p => p.Key).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}-{p.Value.ServerId}-{p.Value.Sequence}")))
            : null;
    }

    private static Dictionary<uint, (uint ServerId, ulong Sequence)> Parse(string position)
    {
        var gtids = new Dictionary<uint, (uint ServerId, ulong Sequence)>();
        foreach (var gtid in position.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = gtid.Split('-');
            if (parts.Length != 3)
            {
                throw new MariaDbTopologyException($"Unexpected GTID '{gtid}' in position '{position}'.");
            }

            gtids[uint.Parse(parts[0], CultureInfo.InvariantCulture)] =
                (uint.Parse(parts[1], CultureInfo.InvariantCulture), ulong.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        return gtids;
    }
}
