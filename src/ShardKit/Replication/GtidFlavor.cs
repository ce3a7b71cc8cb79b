namespace ShardKit.Replication;

/// <summary>The two GTID dialects ShardKit understands.</summary>
internal enum GtidFlavor
{
    /// <summary>MariaDB: <c>domain-server-sequence</c> lists, waited for with <c>MASTER_GTID_WAIT</c>.</summary>
    MariaDb,

    /// <summary>MySQL: <c>uuid:interval</c> sets, reported by <c>session_track_gtids</c>, waited for with <c>WAIT_FOR_EXECUTED_GTID_SET</c>.</summary>
    MySql,
}
