using Microsoft.Extensions.Logging;

namespace ShardKit.Orders;

/// <summary>
/// The log messages of the two-dimension writes, source-generated, with stable event IDs (5xxx). Shards are named
/// <c>user:17</c>/<c>merchant:17</c>; endpoints never with a password.
/// </summary>
internal static partial class OutboxLog
{
    [LoggerMessage(EventId = 5001, EventName = "MerchantApplyFailed", Level = LogLevel.Warning,
        Message = "The merchant copy of order {OrderId} could not be applied right after the write; it stays pending for the relay")]
    public static partial void MerchantApplyFailed(ILogger logger, Exception exception, long orderId);

    [LoggerMessage(EventId = 5002, EventName = "RelayApplyFailed", Level = LogLevel.Warning,
        Message = "The relay could not apply order {OrderId} from {Shard} (attempt {Attempt}); next attempt in {DelayMilliseconds} ms")]
    public static partial void RelayApplyFailed(ILogger logger, Exception exception, long orderId, string shard, int attempt, long delayMilliseconds);

    [LoggerMessage(EventId = 5003, EventName = "RelayShardFailed", Level = LogLevel.Warning,
        Message = "The relay could not scan the outbox of {Shard}")]
    public static partial void RelayShardFailed(ILogger logger, Exception exception, string shard);

    [LoggerMessage(EventId = 5004, EventName = "RelayPassCompleted", Level = LogLevel.Debug,
        Message = "Relay pass: {Applied} entries applied, {Failed} orders failed, {ShardsFailed} shards unavailable")]
    public static partial void RelayPassCompleted(ILogger logger, long applied, long failed, int shardsFailed);

    [LoggerMessage(EventId = 5005, EventName = "RelayPassFailed", Level = LogLevel.Error,
        Message = "A relay pass failed; the next pass retries")]
    public static partial void RelayPassFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5006, EventName = "OrphanOutboxEntry", Level = LogLevel.Warning,
        Message = "Order {OrderId} has outbox entries but neither a row nor a tombstone in {Shard}; the entries are marked applied")]
    public static partial void OrphanOutboxEntry(ILogger logger, long orderId, string shard);

    [LoggerMessage(EventId = 5007, EventName = "DimensionsRepaired", Level = LogLevel.Information,
        Message = "Order {OrderId} re-applied from its user shard to merchant:{MerchantShard} ({Kind})")]
    public static partial void DimensionsRepaired(ILogger logger, long orderId, int merchantShard, DimensionDifferenceKind kind);

    [LoggerMessage(EventId = 5020, EventName = "OutboxMarkFailed", Level = LogLevel.Warning,
        Message = "Marking {Count} outbox entries applied on {Shard} failed; the relay applies them again (a no-op) and marks them")]
    public static partial void MarkFailed(ILogger logger, Exception exception, int count, string shard);
}
