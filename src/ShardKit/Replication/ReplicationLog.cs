using Microsoft.Extensions.Logging;

namespace ShardKit.Replication;

/// <summary>Log messages of read/write splitting (event IDs 5000-5099). Endpoints are <c>host:port</c>.</summary>
internal static partial class ReplicationLog
{
    [LoggerMessage(EventId = 5001, EventName = "ReplicaOpenFailed", Level = LogLevel.Warning,
        Message = "Could not open replica {Replica} of cluster {Cluster} for shard {Shard}; the read goes to the primary")]
    public static partial void ReplicaOpenFailed(ILogger logger, Exception exception, string replica, string cluster, string shard);

    [LoggerMessage(EventId = 5002, EventName = "CausalReadOnPrimary", Level = LogLevel.Debug,
        Message = "Replica {Replica} had not applied GTID {Gtid} within {Wait}; the read of shard {Shard} goes to the primary")]
    public static partial void CausalReadOnPrimary(ILogger logger, string replica, string gtid, TimeSpan wait, string shard);

    [LoggerMessage(EventId = 5003, EventName = "CausalWaitFailed", Level = LogLevel.Warning,
        Message = "Waiting on replica {Replica} for GTID {Gtid} failed; the read of shard {Shard} does not use that replica")]
    public static partial void CausalWaitFailed(ILogger logger, Exception exception, string replica, string gtid, string shard);
}
