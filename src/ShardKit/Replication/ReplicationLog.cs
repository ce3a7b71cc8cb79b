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

    [LoggerMessage(EventId = 5004, EventName = "ReplicaEjected", Level = LogLevel.Warning,
        Message = "Replica {Replica} of cluster {Cluster} ejected (lag {LagMilliseconds} ms, {Failures} failed probes in a row); it serves no read until re-admitted")]
    public static partial void ReplicaEjected(ILogger logger, string replica, string cluster, long lagMilliseconds, int failures);

    [LoggerMessage(EventId = 5005, EventName = "ReplicaReadmitted", Level = LogLevel.Information,
        Message = "Replica {Replica} of cluster {Cluster} re-admitted (lag {LagMilliseconds} ms)")]
    public static partial void ReplicaReadmitted(ILogger logger, string replica, string cluster, long lagMilliseconds);

    [LoggerMessage(EventId = 5006, EventName = "HeartbeatFailed", Level = LogLevel.Warning,
        Message = "Writing the heartbeat on the primary {Primary} of cluster {Cluster} failed; its replicas' lag is not measured this round")]
    public static partial void HeartbeatFailed(ILogger logger, Exception exception, string primary, string cluster);

    [LoggerMessage(EventId = 5007, EventName = "ReplicaProbeFailed", Level = LogLevel.Debug,
        Message = "Probing replica {Replica} of cluster {Cluster} failed")]
    public static partial void ReplicaProbeFailed(ILogger logger, Exception exception, string replica, string cluster);

    [LoggerMessage(EventId = 5008, EventName = "FallbackCapReached", Level = LogLevel.Warning,
        Message = "No replica of cluster {Cluster} could serve a read of shard {Shard} and the cap on fallbacks to the primary is reached; the read fails")]
    public static partial void FallbackCapReached(ILogger logger, string cluster, string shard);

    [LoggerMessage(EventId = 5009, EventName = "ReadRetried", Level = LogLevel.Information,
        Message = "A read failed with a transient error; running it again (attempt {Attempt})")]
    public static partial void ReadRetried(ILogger logger, Exception? exception, int attempt);

    [LoggerMessage(EventId = 5010, EventName = "CausalFlavorMismatch", Level = LogLevel.Warning,
        Message = "Replica {Replica} runs the other GTID flavour than token GTID {Gtid}; the read of shard {Shard} does not use that replica")]
    public static partial void CausalFlavorMismatch(ILogger logger, string replica, string gtid, string shard);
}
