namespace ShardKit.Migrations.Migration;

/// <summary>
/// A phase's progress: rows done of the total, speed, the estimated time left, the last replica lag seen, the time spent
/// throttled and, while the throttle holds the copy back, why (every limit exceeded, with its figure).
/// </summary>
internal sealed record MigrationProgress(string Phase, long Done, long Total, double RowsPerSecond, TimeSpan? Eta, TimeSpan Lag, TimeSpan Throttled, string? WaitingFor);
