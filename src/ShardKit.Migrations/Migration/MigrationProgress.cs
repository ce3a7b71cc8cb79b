namespace ShardKit.Migrations.Migration;

/// <summary>A phase's progress: rows done of the total, speed, the estimated time left, the last replica lag seen and the time spent throttled.</summary>
internal sealed record MigrationProgress(string Phase, long Done, long Total, double RowsPerSecond, TimeSpan? Eta, TimeSpan Lag, TimeSpan Throttled);
