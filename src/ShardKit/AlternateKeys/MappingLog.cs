using Microsoft.Extensions.Logging;

namespace ShardKit.AlternateKeys;

/// <summary>The log messages of the alternate-key mappings, source-generated, with stable event IDs (6xxx). Key values are never logged.</summary>
internal static partial class MappingLog
{
    [LoggerMessage(EventId = 6001, EventName = "MappingReleaseFailed", Level = LogLevel.Warning,
        Message = "An alternate key of kind {Kind} of deleted order {OrderId} could not be released; the sweeper removes it later")]
    public static partial void MappingReleaseFailed(ILogger logger, Exception exception, string kind, long orderId);

    [LoggerMessage(EventId = 6002, EventName = "SweepCompleted", Level = LogLevel.Information,
        Message = "Alternate-key sweep: {Scanned} mappings with an order checked, {Removed} dangling removed, {Unavailable} shards unavailable")]
    public static partial void SweepCompleted(ILogger logger, long scanned, long removed, int unavailable);

    [LoggerMessage(EventId = 6003, EventName = "SweepShardFailed", Level = LogLevel.Warning,
        Message = "The alternate-key sweep could not finish {Shard}")]
    public static partial void SweepShardFailed(ILogger logger, Exception exception, string shard);

    [LoggerMessage(EventId = 6004, EventName = "SweepFailed", Level = LogLevel.Error,
        Message = "An alternate-key sweep pass failed; the sweeper tries again after its interval")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6005, EventName = "MappingsRepaired", Level = LogLevel.Information,
        Message = "Alternate-key verification repaired {Removed} dangling and {Created} missing mappings")]
    public static partial void MappingsRepaired(ILogger logger, long removed, long created);
}
