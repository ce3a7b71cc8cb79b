using Microsoft.Extensions.Logging;

namespace ShardKit.Migration;

/// <summary>The log messages of the online migration's application side, source-generated, with stable event IDs (7xxx).</summary>
internal static partial class MigrationLog
{
    [LoggerMessage(EventId = 7001, EventName = "ControlPollFailed", Level = LogLevel.Warning,
        Message = "The migration control state could not be read; routing keeps the last state (the fences still decide every write)")]
    public static partial void ControlPollFailed(ILogger logger, Exception exception);
}
