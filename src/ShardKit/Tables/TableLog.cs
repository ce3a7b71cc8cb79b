using Microsoft.Extensions.Logging;

namespace ShardKit.Tables;

/// <summary>The table model's log events (IDs 1500-1599).</summary>
internal static partial class TableLog
{
    [LoggerMessage(EventId = 1500, EventName = "TablesChecked", Level = LogLevel.Information,
        Message = "The {TableCount} declared table(s) match all {ShardCount} shard(s)")]
    public static partial void TablesChecked(ILogger logger, int tableCount, int shardCount);

    [LoggerMessage(EventId = 1501, EventName = "TablesRejected", Level = LogLevel.Error,
        Message = "The declared tables do not match the shards ({ProblemCount} problem(s)): {Problems}")]
    public static partial void TablesRejected(ILogger logger, int problemCount, string problems);

    [LoggerMessage(EventId = 1502, EventName = "TableRefreshFailed", Level = LogLevel.Warning,
        Message = "Reading the shards' tables after a schema roll-out failed; the data source keeps the columns it read before")]
    public static partial void TableRefreshFailed(ILogger logger, Exception exception);
}
