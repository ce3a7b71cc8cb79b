namespace ShardKit.Migrations.Migration.Moves;

/// <summary>One shard move (its unit in <c>shardkit_control.units</c>), with the changes still waiting on the serving side.</summary>
internal sealed record ShardMoveStatus(
    string Shard,
    string Schema,
    string FromCluster,
    string ToCluster,
    string State,
    int Epoch,
    bool CopyDone,
    long RowsCopied,
    long ChangesApplied,
    long PendingChanges,
    double? PauseMs,
    string? LastError,
    string? InterruptedCommand);
