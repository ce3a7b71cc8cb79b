using Microsoft.Extensions.Logging;

namespace ShardKit.Diagnostics;

/// <summary>
/// Every log message of the routing core, source-generated. Event IDs are stable: 1xxx topology and
/// routing, 2xxx schema roll-out. Endpoints are logged as <c>host:port</c>, never with a password.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, EventName = "MapLoaded", Level = LogLevel.Information,
        Message = "ShardKit map v{MapVersion} in use: {ClusterCount} clusters, {UserShards} user shards, {MerchantShards} merchant shards")]
    public static partial void MapLoaded(ILogger logger, long mapVersion, int clusterCount, int userShards, int merchantShards);

    [LoggerMessage(EventId = 1002, EventName = "MapRejected", Level = LogLevel.Error,
        Message = "ShardKit map v{MapVersion} rejected, the map in use (if any) stays in use: {Errors}")]
    public static partial void MapRejected(ILogger logger, long mapVersion, string errors);

    [LoggerMessage(EventId = 1003, EventName = "PoolCreated", Level = LogLevel.Debug,
        Message = "Connection pool created for endpoint {Endpoint} (cluster {Cluster})")]
    public static partial void PoolCreated(ILogger logger, string endpoint, string cluster);

    [LoggerMessage(EventId = 1004, EventName = "CrossShardTransactionRefused", Level = LogLevel.Warning,
        Message = "Refused to route to {RequestedShard}: a ShardKit transaction is open on {TransactionShard}")]
    public static partial void CrossShardTransactionRefused(ILogger logger, string requestedShard, string transactionShard);

    [LoggerMessage(EventId = 1005, EventName = "ShardOpenFailed", Level = LogLevel.Warning,
        Message = "Opening a connection to {Shard} on {Endpoint} failed")]
    public static partial void ShardOpenFailed(ILogger logger, Exception exception, string shard, string endpoint);

    [LoggerMessage(EventId = 1006, EventName = "BreakerOpened", Level = LogLevel.Warning,
        Message = "Circuit breaker of {Endpoint} (cluster {Cluster}) opened after {Failures} consecutive failed opens; calls are refused for {BreakDuration}")]
    public static partial void BreakerOpened(ILogger logger, string endpoint, string cluster, int failures, TimeSpan breakDuration);

    [LoggerMessage(EventId = 1007, EventName = "BreakerClosed", Level = LogLevel.Information,
        Message = "Circuit breaker of {Endpoint} (cluster {Cluster}) closed: a trial open succeeded")]
    public static partial void BreakerClosed(ILogger logger, string endpoint, string cluster);

    [LoggerMessage(EventId = 1008, EventName = "PlacementChanged", Level = LogLevel.Information,
        Message = "ShardKit placement overrides changed ({Count} moved shard(s)): {Overrides}")]
    public static partial void PlacementChanged(ILogger logger, int count, string overrides);

    [LoggerMessage(EventId = 1009, EventName = "PlacementPollFailed", Level = LogLevel.Warning,
        Message = "Reading the ShardKit placement overrides failed; the map in use stays in use")]
    public static partial void PlacementPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2001, EventName = "SchemaShardApplied", Level = LogLevel.Information,
        Message = "Schema script {Checksum} applied to {Shard} on {Endpoint} in {ElapsedMilliseconds} ms")]
    public static partial void SchemaShardApplied(ILogger logger, string checksum, string shard, string endpoint, long elapsedMilliseconds);

    [LoggerMessage(EventId = 2002, EventName = "SchemaShardSkipped", Level = LogLevel.Debug,
        Message = "Schema script {Checksum} already applied to {Shard}; skipped")]
    public static partial void SchemaShardSkipped(ILogger logger, string checksum, string shard);

    [LoggerMessage(EventId = 2003, EventName = "SchemaShardFailed", Level = LogLevel.Error,
        Message = "Schema script {Checksum} failed on {Shard} on {Endpoint}")]
    public static partial void SchemaShardFailed(ILogger logger, Exception exception, string checksum, string shard, string endpoint);
}
