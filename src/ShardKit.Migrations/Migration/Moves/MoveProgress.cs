namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// Progress of a shard move's copy: the table being copied, rows done of the estimate, speed, the time left and, while the
/// throttle holds the copy back, why (every limit exceeded, with its figure).
/// </summary>
internal sealed record MoveProgress(string Phase, string Table, long Done, long Total, double RowsPerSecond, TimeSpan? Eta, string? WaitingFor);
